using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Softmax cross-entropy, loss and gradient in one pass per row. Rows are independent and each is reduced in an
/// order fixed by the class count, so results do not depend on how rows are spread over workers.
/// </summary>
internal static unsafe class SoftmaxCrossEntropy
{
    /// <summary>Labels must already be checked: integers in [0, classes).</summary>
    public static void Run(int batch, int classes, float* logits, float* labels, float* losses, float* dlogits, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        nint ls = (nint)logits, labs = (nint)labels, losss = (nint)losses, ds = (nint)dlogits;
        float invBatch = 1f / batch;
        CpuParallel.ForRange(batch, threads, Math.Max(1, (1 << 13) / classes), (first, last) =>
        {
            for (long row = first; row < last; row++)
                ((float*)losss)[row] = Row((float*)ls + row * classes, (int)((float*)labs)[row], classes, invBatch,
                    (float*)ds + row * classes, simd);
        }, chunksPerThread: 4);
    }

    /// <summary>
    /// loss = log Σexp(x − max) − (x[label] − max), the shifted form that cannot overflow;
    /// dlogits = (softmax − onehot)/batch, with exp(x − max) staged in dlogits in between.
    /// </summary>
    private static float Row(float* x, int label, int classes, float invBatch, float* d, bool simd)
    {
        var maxima = Vector256.Create(float.NegativeInfinity);
        int i = 0;
        for (; simd && i + 8 <= classes; i += 8) maxima = Avx.Max(maxima, Avx.LoadVector256(x + i));
        float max = float.NegativeInfinity;
        for (int lane = 0; lane < 8; lane++) max = MathF.Max(max, maxima.GetElement(lane));
        for (; i < classes; i++) max = MathF.Max(max, x[i]);

        var shift = Vector256.Create(max);
        var sums = Vector256<float>.Zero;
        i = 0;
        for (; simd && i + 8 <= classes; i += 8)
        {
            var e = Vector256.Exp(Avx.LoadVector256(x + i) - shift);
            Avx.Store(d + i, e);
            sums += e;
        }
        float sum = Vector256.Sum(sums);
        for (; i < classes; i++)
        {
            float e = MathF.Exp(x[i] - max);
            d[i] = e;
            sum += e;
        }

        float labelExp = d[label];
        float scale = invBatch / sum;
        var scales = Vector256.Create(scale);
        i = 0;
        for (; simd && i + 8 <= classes; i += 8) Avx.Store(d + i, Avx.LoadVector256(d + i) * scales);
        for (; i < classes; i++) d[i] *= scale;
        // (p − 1)/batch rather than p/batch − 1/batch: one rounding for the label's entry.
        d[label] = (labelExp / sum - 1f) * invBatch;
        return MathF.Log(sum) - (x[label] - max);
    }
}
