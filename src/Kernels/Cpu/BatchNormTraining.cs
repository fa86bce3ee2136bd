using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Training batch-norm, forward and backward. Each (n, c) plane is reduced on its own (any worker, any order), then
/// every channel combines its N plane partials in double in n order: the sums depend on the shape alone, never on
/// the thread count. The per-plane partials live in the calling thread's shared-operand scratch (the workers here
/// ask for no scratch of their own).
/// </summary>
internal static unsafe class BatchNormTraining
{
    /// <summary>Doubles per plane in the forward partials: shift a, Σ(x − a), Σ(x − a)².</summary>
    private const int ForwardPartials = 3;

    /// <summary>Doubles per plane in the backward partials: Σdy, Σdy·(x − mean).</summary>
    private const int BackwardPartials = 2;

    public static void Forward(ChannelShape s, float* x, float* gamma, float* beta, float* runningMean, float* runningVar,
        float momentum, float eps, float* y, float* saveMean, float* saveInvStd, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        int planes = s.N * s.C;
        long spatial = s.Spatial;
        // Partials first, then per-channel scale and shift (2·C floats) behind them.
        float* scratch = ThreadScratch.Get(ThreadScratch.SharedOperand, 2L * ForwardPartials * planes + 2L * s.C);
        double* partials = (double*)scratch;
        float* scale = scratch + 2L * ForwardPartials * planes, shift = scale + s.C;

        nint xs = (nint)x, ps = (nint)partials;
        CpuParallel.ForRange(planes, threads, PlanesPerChunk(spatial), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
                PlaneMoments((float*)xs + plane * spatial, spatial, (double*)ps + ForwardPartials * plane, simd);
        }, chunksPerThread: 4);

        double count = (double)s.N * spatial;
        for (int c = 0; c < s.C; c++)
        {
            double total = 0;
            for (int n = 0; n < s.N; n++)
            {
                double* p = partials + ForwardPartials * ((long)n * s.C + c);
                total += p[0] * spatial + p[1];
            }
            double mean = total / count;
            // Σ over the plane of (x − mean)² = Σ(x − a)² + 2(a − mean)·Σ(x − a) + spatial·(a − mean)², exactly.
            double squares = 0;
            for (int n = 0; n < s.N; n++)
            {
                double* p = partials + ForwardPartials * ((long)n * s.C + c);
                double offset = p[0] - mean;
                squares += p[2] + 2 * offset * p[1] + spatial * offset * offset;
            }
            squares = Math.Max(squares, 0);
            float invStd = (float)(1 / Math.Sqrt(squares / count + eps));
            saveMean[c] = (float)mean;
            saveInvStd[c] = invStd;
            runningMean[c] = (float)(momentum * mean + (1 - (double)momentum) * runningMean[c]);
            runningVar[c] = (float)(momentum * (squares / (count - 1)) + (1 - (double)momentum) * runningVar[c]);
            // y = x·(gamma·invStd) + (beta − mean·gamma·invStd), the fold torch's cpu kernel uses.
            scale[c] = gamma[c] * invStd;
            shift[c] = beta[c] - (float)mean * scale[c];
        }

        nint ys = (nint)y, scales = (nint)scale, shifts = (nint)shift;
        int channels = s.C;
        CpuParallel.ForRange(planes, threads, PlanesPerChunk(spatial), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
            {
                int c = (int)(plane % channels);
                ScaleShift((float*)xs + plane * spatial, (float*)ys + plane * spatial, spatial,
                    ((float*)scales)[c], ((float*)shifts)[c], simd);
            }
        }, chunksPerThread: 4);
    }

    public static void Backward(ChannelShape s, float* x, float* dy, float* gamma, float* saveMean, float* saveInvStd,
        float* dx, float* dgamma, float* dbeta, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        int planes = s.N * s.C, channels = s.C;
        long spatial = s.Spatial;
        // Partials, then per channel the three coefficients of dx = a·dy + b·(x − mean) + k.
        float* scratch = ThreadScratch.Get(ThreadScratch.SharedOperand, 2L * BackwardPartials * planes + 3L * s.C);
        double* partials = (double*)scratch;
        float* dyScale = scratch + 2L * BackwardPartials * planes, centredScale = dyScale + s.C, offset = centredScale + s.C;

        nint xs = (nint)x, dys = (nint)dy, ps = (nint)partials, means = (nint)saveMean;
        CpuParallel.ForRange(planes, threads, PlanesPerChunk(spatial), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
                PlaneGradientSums((float*)xs + plane * spatial, (float*)dys + plane * spatial, spatial,
                    ((float*)means)[plane % channels], (double*)ps + BackwardPartials * plane, simd);
        }, chunksPerThread: 4);

        double count = (double)s.N * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sumDy = 0, sumDyCentred = 0;
            for (int n = 0; n < s.N; n++)
            {
                double* p = partials + BackwardPartials * ((long)n * channels + c);
                sumDy += p[0];
                sumDyCentred += p[1];
            }
            double invStd = saveInvStd[c];
            double gradGamma = sumDyCentred * invStd;
            dgamma[c] = (float)gradGamma;
            dbeta[c] = (float)sumDy;
            // dx = gamma·invStd·(dy − Σdy/M − x̂·Σ(dy·x̂)/M), x̂ = (x − mean)·invStd.
            double a = gamma[c] * invStd;
            dyScale[c] = (float)a;
            centredScale[c] = (float)(-a * invStd * gradGamma / count);
            offset[c] = (float)(-a * sumDy / count);
        }

        nint dxs = (nint)dx, dyScales = (nint)dyScale, centredScales = (nint)centredScale, offsets = (nint)offset;
        CpuParallel.ForRange(planes, threads, PlanesPerChunk(spatial), (first, last) =>
        {
            for (long plane = first; plane < last; plane++)
            {
                int c = (int)(plane % channels);
                InputGradient((float*)xs + plane * spatial, (float*)dys + plane * spatial, (float*)dxs + plane * spatial, spatial,
                    ((float*)means)[c], ((float*)dyScales)[c], ((float*)centredScales)[c], ((float*)offsets)[c], simd);
            }
        }, chunksPerThread: 4);
    }

    /// <summary>Enough planes per work item that a chunk moves about 16K floats.</summary>
    private static long PlanesPerChunk(long spatial) => Math.Max(1, (1 << 14) / spatial);

    /// <summary>
    /// Two passes over one plane (the second from cache): shift a = plane mean in fp32, then Σ(x − a) and Σ(x − a)²,
    /// so the squares never cancel against a large mean.
    /// </summary>
    private static void PlaneMoments(float* x, long length, double* partials, bool simd)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        long i = 0;
        for (; simd && i + 16 <= length; i += 16)
        {
            acc0 += Avx.LoadVector256(x + i);
            acc1 += Avx.LoadVector256(x + i + 8);
        }
        for (; simd && i + 8 <= length; i += 8) acc0 += Avx.LoadVector256(x + i);
        float sum = Vector256.Sum(acc0 + acc1);
        for (; i < length; i++) sum += x[i];
        float shift = sum / length;

        var a = Vector256.Create(shift);
        var d0 = Vector256<float>.Zero;
        var d1 = Vector256<float>.Zero;
        var q0 = Vector256<float>.Zero;
        var q1 = Vector256<float>.Zero;
        i = 0;
        for (; simd && i + 16 <= length; i += 16)
        {
            var t0 = Avx.LoadVector256(x + i) - a;
            var t1 = Avx.LoadVector256(x + i + 8) - a;
            d0 += t0;
            d1 += t1;
            q0 = Fma.MultiplyAdd(t0, t0, q0);
            q1 = Fma.MultiplyAdd(t1, t1, q1);
        }
        for (; simd && i + 8 <= length; i += 8)
        {
            var t = Avx.LoadVector256(x + i) - a;
            d0 += t;
            q0 = Fma.MultiplyAdd(t, t, q0);
        }
        float deviation = Vector256.Sum(d0 + d1), squares = Vector256.Sum(q0 + q1);
        for (; i < length; i++)
        {
            float t = x[i] - shift;
            deviation += t;
            squares = MathF.FusedMultiplyAdd(t, t, squares);
        }
        partials[0] = shift;
        partials[1] = deviation;
        partials[2] = squares;
    }

    private static void PlaneGradientSums(float* x, float* dy, long length, float mean, double* partials, bool simd)
    {
        var m = Vector256.Create(mean);
        var s0 = Vector256<float>.Zero;
        var s1 = Vector256<float>.Zero;
        var p0 = Vector256<float>.Zero;
        var p1 = Vector256<float>.Zero;
        long i = 0;
        for (; simd && i + 16 <= length; i += 16)
        {
            var g0 = Avx.LoadVector256(dy + i);
            var g1 = Avx.LoadVector256(dy + i + 8);
            s0 += g0;
            s1 += g1;
            p0 = Fma.MultiplyAdd(g0, Avx.LoadVector256(x + i) - m, p0);
            p1 = Fma.MultiplyAdd(g1, Avx.LoadVector256(x + i + 8) - m, p1);
        }
        for (; simd && i + 8 <= length; i += 8)
        {
            var g = Avx.LoadVector256(dy + i);
            s0 += g;
            p0 = Fma.MultiplyAdd(g, Avx.LoadVector256(x + i) - m, p0);
        }
        float sum = Vector256.Sum(s0 + s1), product = Vector256.Sum(p0 + p1);
        for (; i < length; i++)
        {
            sum += dy[i];
            product = MathF.FusedMultiplyAdd(dy[i], x[i] - mean, product);
        }
        partials[0] = sum;
        partials[1] = product;
    }

    private static void ScaleShift(float* x, float* y, long length, float scale, float shift, bool simd)
    {
        var a = Vector256.Create(scale);
        var b = Vector256.Create(shift);
        long i = 0;
        for (; simd && i + 8 <= length; i += 8) Avx.Store(y + i, Fma.MultiplyAdd(Avx.LoadVector256(x + i), a, b));
        for (; i < length; i++) y[i] = MathF.FusedMultiplyAdd(x[i], scale, shift);
    }

    /// <summary>dx = dyScale·dy + centredScale·(x − mean) + offset; reads each element before writing it, so dx may alias x or dy.</summary>
    private static void InputGradient(float* x, float* dy, float* dx, long length, float mean, float dyScale, float centredScale, float offset,
        bool simd)
    {
        var m = Vector256.Create(mean);
        var a = Vector256.Create(dyScale);
        var b = Vector256.Create(centredScale);
        var k = Vector256.Create(offset);
        long i = 0;
        for (; simd && i + 8 <= length; i += 8)
            Avx.Store(dx + i, Fma.MultiplyAdd(b, Avx.LoadVector256(x + i) - m, Fma.MultiplyAdd(a, Avx.LoadVector256(dy + i), k)));
        for (; i < length; i++)
            dx[i] = MathF.FusedMultiplyAdd(centredScale, x[i] - mean, MathF.FusedMultiplyAdd(dyScale, dy[i], offset));
    }
}
