namespace Ompq.Kernels.Cpu;

/// <summary>
/// dw = ∂L/∂w of a convolution. Stride 1 goes to <see cref="DirectWeightGradient"/> (AVX2 and AVX-512; the portable path
/// takes the GEMM route for every stride). Otherwise per group one GEMM dWᵀ[Cg·R·S × Kg] = cols(x)[Cg·R·S × N·P·Q] · dYᵀ[N·P·Q × Kg]
/// whose reduction runs over every image and pixel (<see cref="InputColumnsA"/>, <see cref="OutputGradientB"/>),
/// then a transpose into dw. The GEMM splits work by output tiles and sums each tile in a K order fixed by the
/// shape, so the result does not depend on the worker count.
/// </summary>
internal static unsafe class Conv2dBackwardWeight
{
    /// <summary>Reduction length of one GEMM call; longer batches are summed over several calls in image order.</summary>
    private const int MaxReduction = 1 << 30;

    public static void Run(in Conv2dShape shape, float* x, float* dy, float* dw, int threads, CpuIsa isa)
    {
        var s = shape;
        if (isa.HasAvx2() && DirectWeightGradient.Applies(s))
        {
            DirectWeightGradient.Run(s, x, dy, dw, threads, isa);
            return;
        }
        int cg = s.CPerGroup, kg = s.KPerGroup, taps = cg * s.R * s.S, pixels = s.P * s.Q;
        int imagesPerCall = Math.Max(1, MaxReduction / pixels);
        float* transposed = ThreadScratch.Get(0, (long)taps * kg);
        for (int g = 0; g < s.Groups; g++)
        {
            for (int n0 = 0; n0 < s.N; n0 += imagesPerCall)
            {
                int images = Math.Min(imagesPerCall, s.N - n0);
                var columns = new InputColumnsA(x + ((long)n0 * s.C + (long)g * cg) * s.H * s.W, s);
                var gradient = new OutputGradientB(dy + ((long)n0 * s.K + (long)g * kg) * pixels, pixels, (long)s.K * pixels);
                Gemm.Run(taps, kg, images * pixels, columns, gradient, n0 == 0 ? 0f : 1f, new DenseC(transposed, kg), default, threads, isa);
            }
            float* target = dw + (long)g * kg * taps;
            for (int k = 0; k < kg; k++)
                for (int t = 0; t < taps; t++) target[(long)k * taps + t] = transposed[(long)t * kg + k];
        }
    }
}
