using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Inference batch-norm folded to y = act(x·a_c + b_c) per channel plane.</summary>
internal static unsafe class BatchNorm
{
    public static void Inference(ChannelShape shape, float* x, float* gamma, float* beta, float* mean, float* variance,
        float eps, float* y, Activation activation, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2(), wide = isa == CpuIsa.Avx512;
        var a = new float[shape.C];
        var b = new float[shape.C];
        for (int c = 0; c < shape.C; c++)
        {
            a[c] = gamma[c] / MathF.Sqrt(variance[c] + eps);
            b[c] = beta[c] - mean[c] * a[c];
        }
        nint xs = (nint)x, ys = (nint)y;
        long spatial = shape.Spatial;
        CpuParallel.For(shape.N * shape.C, threads, plane =>
        {
            int c = plane % shape.C;
            float* xp = (float*)xs + plane * spatial, yp = (float*)ys + plane * spatial;
            var va = Vector256.Create(a[c]);
            var vb = Vector256.Create(b[c]);
            long i = 0;
            if (wide)
            {
                // 7×7 and 14×14 planes are mostly tail at 16 lanes: one masked vector finishes each.
                var wa = Vector512.Create(a[c]);
                var wb = Vector512.Create(b[c]);
                for (; i + 16 <= spatial; i += 16)
                    Avx512F.Store(yp + i, Activations.Apply(activation, Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(xp + i), wa, wb)));
                if (i == spatial) return;
                var tail = TailMask512.First(spatial - i);
                var v = Avx512F.FusedMultiplyAdd(Avx512F.MaskLoad(xp + i, tail, Vector512<float>.Zero), wa, wb);
                Avx512F.MaskStore(yp + i, tail, Activations.Apply(activation, v));
                return;
            }
            for (; simd && i + 8 <= spatial; i += 8)
                Avx.Store(yp + i, Activations.Apply(activation, Fma.MultiplyAdd(Avx.LoadVector256(xp + i), va, vb)));
            for (; i < spatial; i++) yp[i] = Activations.Apply(activation, MathF.FusedMultiplyAdd(xp[i], a[c], b[c]));
        });
    }
}
