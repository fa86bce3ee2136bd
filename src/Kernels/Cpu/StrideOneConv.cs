using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// A stride-1 convolution computed directly, for few input channels per group, where a GEMM's reduction (Cg·R·S) is too
/// short to pay for packing. It serves the data gradient of a stride-1 convolution (the convolution of dy with the
/// flipped, transposed weights) and, on AVX-512, the forward pass. Each image's input is copied once into zero-padded
/// planes of row pitch Wp = W + 2·pw, with ph rows above and pw columns left of the data; then
/// y[k, o] = Σ over c, r, s of W[k, c, r, s] · xPad[c, o + r·dh·Wp + s·dw] for output positions o = oh·Wp + ow.
/// Positions with ow ≥ Q wrap into the next row; they are computed and not stored.
/// A tile keeps a block of output channels × a span of positions in vector accumulators over the whole reduction
/// (AVX2: 4 × 24 in 12 ymm; AVX-512: 8 × 32 in 16 zmm). Each output element is one tile's sum in a fixed order (deterministic).
/// </summary>
internal static unsafe class StrideOneConv
{
    /// <summary>Stride 1, and reductions short enough that packing would dominate.</summary>
    public static bool Applies(in Conv2dShape s)
        => s.StrideH == 1 && s.StrideW == 1 && !s.IsDepthwise && s.CPerGroup * s.R * s.S <= 1024;

    /// <param name="shape">the convolution computed (for a data gradient: dy's channels in, dx's out, padding d·(R−1) − pad)</param>
    /// <param name="transposed">
    /// w is the weight of the convolution whose data gradient this is, W[k, c, r, s] = w[c, k, R−1−r, S−1−s] per group;
    /// otherwise w is this convolution's own weight
    /// </param>
    public static void Run(in Conv2dShape shape, float* x, float* w, bool transposed, float* bias, Epilogue epilogue, float* y,
        int threads, CpuIsa isa)
    {
        var s = shape;
        var tile = isa == CpuIsa.Avx512 ? new TileSize(8, 32) : new TileSize(4, 24);
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S, blocks = (kg + tile.Channels - 1) / tile.Channels;
        long blockWeights = (long)cg * window * tile.Channels;
        // Packed weights: per (group, output channel block), for each (c, r, s) the block's weights side by side.
        float* packed = ThreadScratch.Get(ThreadScratch.SharedOperand, s.Groups * blocks * blockWeights);
        for (int g = 0; g < s.Groups; g++)
            for (int b = 0; b < blocks; b++)
            {
                float* dst = packed + (g * blocks + b) * blockWeights;
                for (int c = 0; c < cg; c++)
                    for (int t = 0; t < window; t++, dst += tile.Channels)
                        for (int i = 0; i < tile.Channels; i++)
                        {
                            int k = b * tile.Channels + i;
                            dst[i] = k >= kg ? 0f
                                : transposed ? w[((long)(g * cg + c) * kg + k) * window + window - 1 - t]
                                : w[((long)(g * kg + k) * cg + c) * window + t];
                        }
            }
        var layout = new Layout(s, tile);
        nint xs = (nint)x, ps = (nint)packed, bs = (nint)bias, ys = (nint)y;
        CpuParallel.For(s.N, threads, image =>
        {
            float* scratch = ThreadScratch.Get(0, layout.ScratchSize);
            layout.Fill((float*)xs + (long)image * s.C * s.H * s.W, scratch);
            Image(s, tile, layout, scratch, (float*)ps, (float*)bs, epilogue, (float*)ys + (long)image * s.K * s.P * s.Q);
        });
    }

    private static void Image(in Conv2dShape s, TileSize tile, in Layout layout, float* scratch, float* packed, float* bias,
        Epilogue epilogue, float* y)
    {
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S, blocks = (kg + tile.Channels - 1) / tile.Channels;
        long blockWeights = (long)cg * window * tile.Channels;
        float* output = scratch + layout.InputSize;
        bool finish = bias != null || !EpilogueStore.IsIdentity(epilogue);
        int* taps = stackalloc int[window];
        for (int r = 0; r < s.R; r++)
            for (int t = 0; t < s.S; t++) taps[r * s.S + t] = r * s.DilationH * layout.Pitch + t * s.DilationW;
        for (int g = 0; g < s.Groups; g++)
        {
            float* input = scratch + (long)g * cg * layout.PlaneSize;
            for (int b = 0; b < blocks; b++)
            {
                float* weights = packed + (g * blocks + b) * blockWeights;
                for (int o = 0; o < layout.Length; o += tile.Span)
                {
                    if (tile.Channels == 8)
                        Tile512(input + o, layout.PlaneSize, cg, taps, window, weights, output + o, layout.Length);
                    else
                        Tile(input + o, layout.PlaneSize, cg, taps, window, weights, output + o, layout.Length);
                }
                int channels = Math.Min(tile.Channels, kg - b * tile.Channels);
                for (int i = 0; i < channels; i++)
                {
                    int k = g * kg + b * tile.Channels + i;
                    float* plane = y + (long)k * s.P * s.Q;
                    layout.Crop(output + i * layout.Length, plane);
                    if (finish) EpilogueStore.Apply(plane, s.P * s.Q, bias != null ? bias[k] : 0f, epilogue, CpuIsa.Avx2);
                }
            }
        }
    }

    /// <summary>out[i·stride + 0..24) = Σ over c and taps of weights[(c, tap), i] · x_c[tap + 0..24) for the 4 channels i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* x, long planeSize, int cg, int* taps, int window, float* weights, float* output, int stride)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        for (int c = 0; c < cg; c++, x += planeSize)
            for (int t = 0; t < window; t++, weights += 4)
            {
                float* src = x + taps[t];
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

    /// <summary>The AVX-512 tile: out[i·stride + 0..32) for 8 channels i, two zmm accumulators each, fed by 2 loads and 8 broadcasts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* x, long planeSize, int cg, int* taps, int window, float* weights, float* output, int stride)
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        for (int c = 0; c < cg; c++, x += planeSize)
            for (int t = 0; t < window; t++, weights += 8)
            {
                float* src = x + taps[t];
                var v0 = Avx512F.LoadVector512(src);
                var v1 = Avx512F.LoadVector512(src + 16);
                var b = Vector512.Create(weights[0]);
                a00 = Avx512F.FusedMultiplyAdd(b, v0, a00);
                a01 = Avx512F.FusedMultiplyAdd(b, v1, a01);
                b = Vector512.Create(weights[1]);
                a10 = Avx512F.FusedMultiplyAdd(b, v0, a10);
                a11 = Avx512F.FusedMultiplyAdd(b, v1, a11);
                b = Vector512.Create(weights[2]);
                a20 = Avx512F.FusedMultiplyAdd(b, v0, a20);
                a21 = Avx512F.FusedMultiplyAdd(b, v1, a21);
                b = Vector512.Create(weights[3]);
                a30 = Avx512F.FusedMultiplyAdd(b, v0, a30);
                a31 = Avx512F.FusedMultiplyAdd(b, v1, a31);
                b = Vector512.Create(weights[4]);
                a40 = Avx512F.FusedMultiplyAdd(b, v0, a40);
                a41 = Avx512F.FusedMultiplyAdd(b, v1, a41);
                b = Vector512.Create(weights[5]);
                a50 = Avx512F.FusedMultiplyAdd(b, v0, a50);
                a51 = Avx512F.FusedMultiplyAdd(b, v1, a51);
                b = Vector512.Create(weights[6]);
                a60 = Avx512F.FusedMultiplyAdd(b, v0, a60);
                a61 = Avx512F.FusedMultiplyAdd(b, v1, a61);
                b = Vector512.Create(weights[7]);
                a70 = Avx512F.FusedMultiplyAdd(b, v0, a70);
                a71 = Avx512F.FusedMultiplyAdd(b, v1, a71);
            }
        Store(output, a00, a01);
        Store(output + stride, a10, a11);
        Store(output + 2 * stride, a20, a21);
        Store(output + 3 * stride, a30, a31);
        Store(output + 4 * stride, a40, a41);
        Store(output + 5 * stride, a50, a51);
        Store(output + 6 * stride, a60, a61);
        Store(output + 7 * stride, a70, a71);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* output, Vector512<float> low, Vector512<float> high)
    {
        Avx512F.Store(output, low);
        Avx512F.Store(output + 16, high);
    }

    /// <summary>Output channels and positions one tile computes.</summary>
    private readonly record struct TileSize(int Channels, int Span);

    /// <summary>One image's scratch: C padded input planes of <see cref="PlaneSize"/>, then a channel block's output rows of <see cref="Length"/>.</summary>
    private readonly struct Layout
    {
        private readonly int h, w, p, q, c, top, left, channels;

        public Layout(in Conv2dShape s, TileSize tile)
        {
            h = s.H;
            w = s.W;
            p = s.P;
            q = s.Q;
            c = s.C;
            top = s.PadH;
            left = s.PadW;
            channels = tile.Channels;
            Pitch = s.W + 2 * s.PadW;
            Length = (s.P * Pitch + tile.Span - 1) / tile.Span * tile.Span;
            // The last tile's last tap reads up to Length − 1 + (R−1)·dh·Wp + (S−1)·dw.
            PlaneSize = (Length + s.DilationH * (s.R - 1) * Pitch + s.DilationW * (s.S - 1) + 15) / 16 * 16;
        }

        public int Pitch { get; }
        public int Length { get; }
        public int PlaneSize { get; }
        public long InputSize => (long)c * PlaneSize;
        public long ScratchSize => InputSize + (long)channels * Length;

        public void Fill(float* x, float* scratch)
        {
            for (int channel = 0; channel < c; channel++)
            {
                float* plane = scratch + (long)channel * PlaneSize;
                new Span<float>(plane, PlaneSize).Clear();
                float* src = x + (long)channel * h * w;
                for (int row = 0; row < h; row++) Copy(src + row * w, plane + (row + top) * Pitch + left, w);
            }
        }

        /// <summary>Copies the Q valid columns of each output row (pitch Wp) into a dense P×Q plane.</summary>
        public void Crop(float* output, float* plane)
        {
            for (int row = 0; row < p; row++) Copy(output + row * Pitch, plane + row * q, q);
        }

        private static void Copy(float* src, float* dst, int count)
        {
            int i = 0;
            for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.LoadVector256(src + i));
            for (; i < count; i++) dst[i] = src[i];
        }
    }
}
