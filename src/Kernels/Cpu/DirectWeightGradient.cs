using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// dw of a convolution as direct dot products over output pixels, without im2col: with few output channels the GEMM
/// route spends as long transposing columns into panels as multiplying. Stride 1 only: each image is copied once
/// into zero-padded planes of row pitch Wp = W + 2·pw, the input (Hp×Wp) and dy (P rows of Wp, zero past column Q).
/// Then dw[k, c, r, s] = Σ_j dyPad[k, j] · xPad[c, j + r·dh·Wp + s·dw] over j in [0, P·Wp): every tap is the same
/// vector loop over a shifted input, and the zero columns of dyPad cancel the products that wrap into the next row.
/// (Stride 2 split into phases measured no faster than the GEMM route, so strided shapes stay there.)
/// A tile of 4 output channels × 3 taps (AVX2) or × 4 taps (AVX-512, <see cref="Tile512"/>) reuses each dy load once per tap
/// and each input load four times.
/// Determinism: images are cut into chunks whose size comes from the shape; each tile sums a chunk's images in order
/// in vector registers, reduced to a scalar in a fixed lane order; the chunks' partials are added in chunk order.
/// </summary>
internal static unsafe class DirectWeightGradient
{
    private const int KBlock = 4;

    /// <summary>Padded images per chunk are chosen to fill about this many floats, so a chunk's planes stay in L2.</summary>
    private const long ChunkFloats = 64 * 1024;

    /// <summary>Partial sums of all chunks are kept below about this many floats; big weights get fewer, larger chunks.</summary>
    private const long PartialFloats = 1 << 22;

    public static bool Applies(in Conv2dShape s) => s.StrideH == 1 && s.StrideW == 1;

    public static void Run(in Conv2dShape shape, float* x, float* dy, float* dw, int threads, CpuIsa isa)
    {
        var s = shape;
        bool wide = isa == CpuIsa.Avx512;
        var layout = new Layout(s, wide ? 16 : 8);
        long weights = s.WeightSize;
        int imagesPerChunk = (int)Math.Clamp(ChunkFloats / layout.ImageSize, 1, s.N);
        long maxChunks = Math.Max(1, PartialFloats / weights);
        imagesPerChunk = (int)Math.Max(imagesPerChunk, (s.N + maxChunks - 1) / maxChunks);
        int chunks = (s.N + imagesPerChunk - 1) / imagesPerChunk;
        float* partials = ThreadScratch.Get(ThreadScratch.TransformedOperand, chunks * weights);
        // Every (c, r, s) of a group, in dw's order: where its shifted input starts, from the group's first plane.
        // Tiles take consecutive entries, so 1×1 kernels block over channels.
        int window = s.R * s.S;
        var sources = new long[s.CPerGroup * window];
        for (int c = 0; c < s.CPerGroup; c++)
            for (int r = 0; r < s.R; r++)
                for (int t = 0; t < s.S; t++)
                    sources[c * window + r * s.S + t] = c * layout.PlaneSize + layout.TapOffset(r * s.DilationH, t * s.DilationW);
        nint xs = (nint)x, dys = (nint)dy, ps = (nint)partials;
        CpuParallel.For(chunks, threads, chunk =>
        {
            int first = chunk * imagesPerChunk, images = Math.Min(imagesPerChunk, s.N - first);
            float* padded = ThreadScratch.Get(0, images * layout.ImageSize);
            for (int i = 0; i < images; i++)
                layout.Fill((float*)xs + (long)(first + i) * s.C * s.H * s.W, (float*)dys + (long)(first + i) * s.K * s.P * s.Q,
                    padded + i * layout.ImageSize);
            fixed (long* tapSources = sources) Chunk(s, layout, padded, images, tapSources, (float*)ps + chunk * weights, wide);
        });
        for (long i = 0; i < weights; i++)
        {
            float total = 0f;
            for (int chunk = 0; chunk < chunks; chunk++) total += partials[chunk * weights + i];
            dw[i] = total;
        }
    }

    /// <summary>partial[k, c, r, s] = the chunk's sum over its images (in order) and pixels.</summary>
    private static void Chunk(in Conv2dShape s, in Layout layout, float* padded, int images, long* sources, float* partial, bool wide)
    {
        int tBlock = wide ? 4 : 3;
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S, taps = cg * window;
        float* dyPad = padded + layout.InputSize;
        for (int g = 0; g < s.Groups; g++)
        {
            float* planes = padded + (long)g * cg * layout.PlaneSize;
            for (int k0 = 0; k0 < kg; k0 += KBlock)
            {
                int rows = Math.Min(KBlock, kg - k0);
                // Missing rows of a short block repeat the last real row; their sums are computed and dropped.
                float* d0 = dyPad + (long)(g * kg + k0) * layout.Length;
                float* d1 = d0 + (long)Math.Min(1, rows - 1) * layout.Length;
                float* d2 = d0 + (long)Math.Min(2, rows - 1) * layout.Length;
                float* d3 = d0 + (long)Math.Min(3, rows - 1) * layout.Length;
                float* row = partial + (long)(g * kg + k0) * taps;
                for (int t0 = 0; t0 < taps; t0 += tBlock)
                {
                    int count = Math.Min(tBlock, taps - t0);
                    int t1 = t0 + Math.Min(1, count - 1), t2 = t0 + Math.Min(2, count - 1), t3 = t0 + Math.Min(3, count - 1);
                    if (wide)
                        Tile512(d0, d1, d2, d3, planes + sources[t0], planes + sources[t1], planes + sources[t2], planes + sources[t3],
                            layout.Length, images, layout.ImageSize, row + t0, taps, rows, count);
                    else
                        Tile(d0, d1, d2, d3, planes + sources[t0], planes + sources[t1], planes + sources[t2],
                            layout.Length, images, layout.ImageSize, row + t0, row + t1, row + t2, taps, rows, count);
                }
            }
        }
    }

    /// <summary>
    /// target_t[k·kStride] = Σ over images, then j, of d_k[j] · x_t[j] for k &lt; rows, t &lt; taps; each image's
    /// operands lie <paramref name="imageStride"/> floats after the previous one's, <paramref name="length"/> is a multiple of 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* d0, float* d1, float* d2, float* d3, float* x0, float* x1, float* x2, int length,
        int images, long imageStride, float* target0, float* target1, float* target2, long kStride, int rows, int taps)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        for (int image = 0; image < images; image++)
        {
            for (int j = 0; j < length; j += 8)
            {
                var v0 = Avx.LoadVector256(x0 + j);
                var v1 = Avx.LoadVector256(x1 + j);
                var v2 = Avx.LoadVector256(x2 + j);
                var d = Avx.LoadAlignedVector256(d0 + j);
                a00 = Fma.MultiplyAdd(d, v0, a00);
                a01 = Fma.MultiplyAdd(d, v1, a01);
                a02 = Fma.MultiplyAdd(d, v2, a02);
                d = Avx.LoadAlignedVector256(d1 + j);
                a10 = Fma.MultiplyAdd(d, v0, a10);
                a11 = Fma.MultiplyAdd(d, v1, a11);
                a12 = Fma.MultiplyAdd(d, v2, a12);
                d = Avx.LoadAlignedVector256(d2 + j);
                a20 = Fma.MultiplyAdd(d, v0, a20);
                a21 = Fma.MultiplyAdd(d, v1, a21);
                a22 = Fma.MultiplyAdd(d, v2, a22);
                d = Avx.LoadAlignedVector256(d3 + j);
                a30 = Fma.MultiplyAdd(d, v0, a30);
                a31 = Fma.MultiplyAdd(d, v1, a31);
                a32 = Fma.MultiplyAdd(d, v2, a32);
            }
            d0 += imageStride;
            d1 += imageStride;
            d2 += imageStride;
            d3 += imageStride;
            x0 += imageStride;
            x1 += imageStride;
            x2 += imageStride;
        }
        for (int k = 0; k < rows; k++)
        {
            var (t0, t1, t2) = k switch { 0 => (a00, a01, a02), 1 => (a10, a11, a12), 2 => (a20, a21, a22), _ => (a30, a31, a32) };
            long at = k * kStride;
            target0[at] = LaneSum(t0);
            if (taps > 1) target1[at] = LaneSum(t1);
            if (taps > 2) target2[at] = LaneSum(t2);
        }
    }

    /// <summary>
    /// The AVX-512 tile: 4 output channels × 4 consecutive taps (16 zmm accumulators), taps[k·kStride + t] for t &lt; taps;
    /// <paramref name="length"/> is a multiple of 16.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(float* d0, float* d1, float* d2, float* d3, float* x0, float* x1, float* x2, float* x3, int length,
        int images, long imageStride, float* target, long kStride, int rows, int taps)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int image = 0; image < images; image++)
        {
            for (int j = 0; j < length; j += 16)
            {
                var v0 = Avx512F.LoadVector512(x0 + j);
                var v1 = Avx512F.LoadVector512(x1 + j);
                var v2 = Avx512F.LoadVector512(x2 + j);
                var v3 = Avx512F.LoadVector512(x3 + j);
                var d = Avx512F.LoadVector512(d0 + j);
                a00 = Avx512F.FusedMultiplyAdd(d, v0, a00);
                a01 = Avx512F.FusedMultiplyAdd(d, v1, a01);
                a02 = Avx512F.FusedMultiplyAdd(d, v2, a02);
                a03 = Avx512F.FusedMultiplyAdd(d, v3, a03);
                d = Avx512F.LoadVector512(d1 + j);
                a10 = Avx512F.FusedMultiplyAdd(d, v0, a10);
                a11 = Avx512F.FusedMultiplyAdd(d, v1, a11);
                a12 = Avx512F.FusedMultiplyAdd(d, v2, a12);
                a13 = Avx512F.FusedMultiplyAdd(d, v3, a13);
                d = Avx512F.LoadVector512(d2 + j);
                a20 = Avx512F.FusedMultiplyAdd(d, v0, a20);
                a21 = Avx512F.FusedMultiplyAdd(d, v1, a21);
                a22 = Avx512F.FusedMultiplyAdd(d, v2, a22);
                a23 = Avx512F.FusedMultiplyAdd(d, v3, a23);
                d = Avx512F.LoadVector512(d3 + j);
                a30 = Avx512F.FusedMultiplyAdd(d, v0, a30);
                a31 = Avx512F.FusedMultiplyAdd(d, v1, a31);
                a32 = Avx512F.FusedMultiplyAdd(d, v2, a32);
                a33 = Avx512F.FusedMultiplyAdd(d, v3, a33);
            }
            d0 += imageStride;
            d1 += imageStride;
            d2 += imageStride;
            d3 += imageStride;
            x0 += imageStride;
            x1 += imageStride;
            x2 += imageStride;
            x3 += imageStride;
        }
        for (int k = 0; k < rows; k++)
        {
            var (t0, t1, t2, t3) = k switch
            {
                0 => (a00, a01, a02, a03), 1 => (a10, a11, a12, a13), 2 => (a20, a21, a22, a23), _ => (a30, a31, a32, a33),
            };
            float* at = target + k * kStride;
            at[0] = LaneSum(t0);
            if (taps > 1) at[1] = LaneSum(t1);
            if (taps > 2) at[2] = LaneSum(t2);
            if (taps > 3) at[3] = LaneSum(t3);
        }
    }

    private static float LaneSum(Vector512<float> v) => LaneSum(v.GetLower() + v.GetUpper());

    private static float LaneSum(Vector256<float> v)
    {
        var half = v.GetLower() + v.GetUpper();
        return (half.GetElement(0) + half.GetElement(1)) + (half.GetElement(2) + half.GetElement(3));
    }

    /// <summary>One image's padded scratch: C input planes of <see cref="PlaneSize"/>, then K dy rows of <see cref="Length"/>.</summary>
    private readonly struct Layout
    {
        private readonly int h, w, p, q, c, k, padH, padW;

        /// <param name="vector">floats per load of the tile that reads this layout</param>
        public Layout(in Conv2dShape s, int vector)
        {
            h = s.H;
            w = s.W;
            p = s.P;
            q = s.Q;
            c = s.C;
            k = s.K;
            padH = s.PadH;
            padW = s.PadW;
            Pitch = s.W + 2 * s.PadW;
            Length = (s.P * Pitch + vector - 1) / vector * vector;
            // The last vector of the last tap reads up to (P + (R−1)·dh)·Wp + (S−1)·dw + vector − 2 = Hp·Wp + (S−1)·dw + vector − 2.
            PlaneSize = ((s.H + 2 * s.PadH) * Pitch + (s.S - 1) * s.DilationW + vector + vector - 1) / vector * vector;
        }

        public int Pitch { get; }
        public int Length { get; }
        public int PlaneSize { get; }
        public long InputSize => (long)c * PlaneSize;
        public long ImageSize => InputSize + (long)k * Length;

        /// <summary>Offset (within a channel's plane) of the input that tap offsets (dh, dw) read for output 0.</summary>
        public long TapOffset(int dh, int dw) => (long)dh * Pitch + dw;

        public void Fill(float* x, float* dy, float* padded)
        {
            for (int channel = 0; channel < c; channel++)
            {
                float* plane = padded + (long)channel * PlaneSize;
                new Span<float>(plane, PlaneSize).Clear();
                float* src = x + (long)channel * h * w;
                for (int row = 0; row < h; row++) Copy(src + row * w, plane + (row + padH) * Pitch + padW, w);
            }
            float* rows = padded + InputSize;
            for (int channel = 0; channel < k; channel++)
            {
                float* dst = rows + (long)channel * Length;
                new Span<float>(dst, Length).Clear();
                float* src = dy + (long)channel * p * q;
                for (int row = 0; row < p; row++) Copy(src + row * q, dst + row * Pitch, q);
            }
        }

        private static void Copy(float* src, float* dst, int count)
        {
            int i = 0;
            for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.LoadVector256(src + i));
            for (; i < count; i++) dst[i] = src[i];
        }
    }
}
