using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// dx of a stride-1 convolution as a direct convolution of dy with the flipped weights, for few channels per group,
/// where a GEMM's reduction (Kg·R·S) is too short to pay for packing. Each image's dy is copied once into zero-padded
/// planes of row pitch Wq = W + (S−1)·dw, with (R−1)·dh − ph rows above and (S−1)·dw − pw columns left of the data;
/// then dx[c, o] = Σ over k, r′, s′ of W[k, c, R−1−r′, S−1−s′] · dyPad[k, o + r′·dh·Wq + s′·dw] for output positions
/// o = ih·Wq + iw. Positions with iw ≥ W wrap into the next row; they are computed and not stored.
/// A tile of 4 input channels × 24 positions keeps 12 vector accumulators over the whole reduction, fed by 3 dy loads
/// and 4 weight broadcasts per step. Each dx element is one tile's sum in a fixed order (deterministic).
/// </summary>
internal static unsafe class StrideOneDataGradient
{
    private const int CBlock = 4, Span = 24;

    /// <summary>Stride 1 with padding within the window's reach, and reductions short enough that packing would dominate.</summary>
    public static bool Applies(in Conv2dShape s)
        => s.StrideH == 1 && s.StrideW == 1 && s.PadH <= s.DilationH * (s.R - 1) && s.PadW <= s.DilationW * (s.S - 1)
            && !s.IsDepthwise && s.KPerGroup * s.R * s.S <= 1024;

    public static void Run(in Conv2dShape shape, float* dy, float* w, float* dx, int threads)
    {
        var s = shape;
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S, blocks = (cg + CBlock - 1) / CBlock;
        long blockWeights = (long)kg * window * CBlock;
        // Packed weights: per (group, channel block), for each (k, r′, s′) the 4 channels' flipped weights side by side.
        float* packed = ThreadScratch.Get(ThreadScratch.TransformedOperand, s.Groups * blocks * blockWeights);
        for (int g = 0; g < s.Groups; g++)
            for (int b = 0; b < blocks; b++)
            {
                float* dst = packed + (g * blocks + b) * blockWeights;
                for (int k = 0; k < kg; k++)
                    for (int t = 0; t < window; t++, dst += CBlock)
                        for (int i = 0; i < CBlock; i++)
                        {
                            int c = b * CBlock + i;
                            dst[i] = c < cg ? w[((long)(g * kg + k) * cg + c) * window + window - 1 - t] : 0f;
                        }
            }
        var layout = new Layout(s);
        nint dys = (nint)dy, ps = (nint)packed, dxs = (nint)dx;
        CpuParallel.For(s.N, threads, image =>
        {
            float* scratch = ThreadScratch.Get(0, layout.ScratchSize);
            layout.Fill((float*)dys + (long)image * s.K * s.P * s.Q, scratch);
            Image(s, layout, scratch, (float*)ps, (float*)dxs + (long)image * s.C * s.H * s.W);
        });
    }

    private static void Image(in Conv2dShape s, in Layout layout, float* scratch, float* packed, float* dx)
    {
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S, blocks = (cg + CBlock - 1) / CBlock;
        long blockWeights = (long)kg * window * CBlock;
        float* output = scratch + layout.DySize;
        int* taps = stackalloc int[window];
        for (int r = 0; r < s.R; r++)
            for (int t = 0; t < s.S; t++) taps[r * s.S + t] = r * s.DilationH * layout.Pitch + t * s.DilationW;
        for (int g = 0; g < s.Groups; g++)
        {
            float* dyGroup = scratch + (long)g * kg * layout.PlaneSize;
            for (int b = 0; b < blocks; b++)
            {
                float* weights = packed + (g * blocks + b) * blockWeights;
                for (int o = 0; o < layout.Length; o += Span)
                    Tile(dyGroup + o, layout.PlaneSize, kg, taps, window, weights, output + o, layout.Length);
                int channels = Math.Min(CBlock, cg - b * CBlock);
                for (int i = 0; i < channels; i++)
                    layout.Crop(output + i * layout.Length, dx + (long)(g * cg + b * CBlock + i) * s.H * s.W);
            }
        }
    }

    /// <summary>out[i·stride + 0..24) = Σ over k and taps of weights[(k, tap), i] · dy_k[tap + 0..24) for the 4 channels i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* dy, long planeSize, int kg, int* taps, int window, float* weights, float* output, int stride)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        for (int k = 0; k < kg; k++, dy += planeSize)
            for (int t = 0; t < window; t++, weights += CBlock)
            {
                float* src = dy + taps[t];
                var v0 = Avx.LoadVector256(src);
                var v1 = Avx.LoadVector256(src + 8);
                var v2 = Avx.LoadVector256(src + 16);
                var b = Vector256.Create(weights[0]);
                a00 = Fma.MultiplyAdd(b, v0, a00);
                a01 = Fma.MultiplyAdd(b, v1, a01);
                a02 = Fma.MultiplyAdd(b, v2, a02);
                b = Vector256.Create(weights[1]);
                a10 = Fma.MultiplyAdd(b, v0, a10);
                a11 = Fma.MultiplyAdd(b, v1, a11);
                a12 = Fma.MultiplyAdd(b, v2, a12);
                b = Vector256.Create(weights[2]);
                a20 = Fma.MultiplyAdd(b, v0, a20);
                a21 = Fma.MultiplyAdd(b, v1, a21);
                a22 = Fma.MultiplyAdd(b, v2, a22);
                b = Vector256.Create(weights[3]);
                a30 = Fma.MultiplyAdd(b, v0, a30);
                a31 = Fma.MultiplyAdd(b, v1, a31);
                a32 = Fma.MultiplyAdd(b, v2, a32);
            }
        Avx.Store(output, a00);
        Avx.Store(output + 8, a01);
        Avx.Store(output + 16, a02);
        output += stride;
        Avx.Store(output, a10);
        Avx.Store(output + 8, a11);
        Avx.Store(output + 16, a12);
        output += stride;
        Avx.Store(output, a20);
        Avx.Store(output + 8, a21);
        Avx.Store(output + 16, a22);
        output += stride;
        Avx.Store(output, a30);
        Avx.Store(output + 8, a31);
        Avx.Store(output + 16, a32);
    }

    /// <summary>One image's scratch: K padded dy planes of <see cref="PlaneSize"/>, then 4 output rows of <see cref="Length"/>.</summary>
    private readonly struct Layout
    {
        private readonly int h, w, p, q, k, top, left;

        public Layout(in Conv2dShape s)
        {
            h = s.H;
            w = s.W;
            p = s.P;
            q = s.Q;
            k = s.K;
            top = s.DilationH * (s.R - 1) - s.PadH;
            left = s.DilationW * (s.S - 1) - s.PadW;
            Pitch = s.W + s.DilationW * (s.S - 1);
            Length = (s.H * Pitch + Span - 1) / Span * Span;
            // The last tile's last tap reads up to Length − 1 + (R−1)·dh·Wq + (S−1)·dw.
            PlaneSize = (Length + s.DilationH * (s.R - 1) * Pitch + s.DilationW * (s.S - 1) + 7) / 8 * 8;
        }

        public int Pitch { get; }
        public int Length { get; }
        public int PlaneSize { get; }
        public long DySize => (long)k * PlaneSize;
        public long ScratchSize => DySize + (long)CBlock * Length;

        public void Fill(float* dy, float* scratch)
        {
            for (int channel = 0; channel < k; channel++)
            {
                float* plane = scratch + (long)channel * PlaneSize;
                new Span<float>(plane, PlaneSize).Clear();
                float* src = dy + (long)channel * p * q;
                for (int row = 0; row < p; row++) Copy(src + row * q, plane + (row + top) * Pitch + left, q);
            }
        }

        /// <summary>Copies the W valid columns of each output row (pitch Wq) into a dense H×W plane.</summary>
        public void Crop(float* output, float* plane)
        {
            for (int row = 0; row < h; row++) Copy(output + row * Pitch, plane + row * w, w);
        }

        private static void Copy(float* src, float* dst, int count)
        {
            int i = 0;
            for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.LoadVector256(src + i));
            for (; i < count; i++) dst[i] = src[i];
        }
    }
}
