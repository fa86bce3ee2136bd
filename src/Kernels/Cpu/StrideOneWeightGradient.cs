using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// dw of a stride-1 convolution as direct dot products over pixels, without im2col. Each image is copied once into
/// zero-padded planes of row pitch Wp = W + 2·pw: the input (Hp×Wp) and dy (P rows of Wp, zero past column Q). Then
/// dw[k, c, r, s] = Σ_j dyPad[k, j] · xPad[c, j + r·dh·Wp + s·dw] over j in [0, P·Wp): every tap is the same vector
/// loop over a shifted input, and the zero columns of dyPad cancel the products that wrap into the next row.
/// With few output channels the GEMM route would spend as long transposing columns into panels as multiplying.
/// A 4 (k) × 3 (s) tile of vector accumulators reuses each dy load three times and each input load four times.
/// Determinism: images are cut into chunks whose size comes from the shape; each tile sums a chunk's images in
/// order in vector registers, reduced to a scalar in a fixed lane order; the chunks' partials are added in chunk order.
/// </summary>
internal static unsafe class StrideOneWeightGradient
{
    private const int KBlock = 4, SBlock = 3;

    /// <summary>Padded images per chunk are chosen to fill about this many floats, so a chunk's planes stay in L2.</summary>
    private const long ChunkFloats = 64 * 1024;

    public static bool Applies(in Conv2dShape s) => s.StrideH == 1 && s.StrideW == 1;

    public static void Run(in Conv2dShape shape, float* x, float* dy, float* dw, int threads)
    {
        var s = shape;
        var layout = new Layout(s);
        long weights = s.WeightSize;
        int imagesPerChunk = (int)Math.Clamp(ChunkFloats / layout.ImageSize, 1, s.N);
        int chunks = (s.N + imagesPerChunk - 1) / imagesPerChunk;
        float* partials = ThreadScratch.Get(ThreadScratch.TransformedOperand, chunks * weights);
        nint xs = (nint)x, dys = (nint)dy, ps = (nint)partials;
        CpuParallel.For(chunks, threads, chunk =>
        {
            int first = chunk * imagesPerChunk, images = Math.Min(imagesPerChunk, s.N - first);
            float* padded = ThreadScratch.Get(0, images * layout.ImageSize);
            for (int i = 0; i < images; i++)
                layout.Fill((float*)xs + (long)(first + i) * s.C * s.H * s.W, (float*)dys + (long)(first + i) * s.K * s.P * s.Q,
                    padded + i * layout.ImageSize);
            Chunk(s, layout, padded, images, (float*)ps + chunk * weights);
        });
        for (long i = 0; i < weights; i++)
        {
            float total = 0f;
            for (int chunk = 0; chunk < chunks; chunk++) total += partials[chunk * weights + i];
            dw[i] = total;
        }
    }

    /// <summary>partial[k, c, r, s] = the chunk's sum over its images (in order) and pixels.</summary>
    private static void Chunk(in Conv2dShape s, in Layout layout, float* padded, int images, float* partial)
    {
        int cg = s.CPerGroup, kg = s.KPerGroup, window = s.R * s.S;
        float* dyPad = padded + layout.InputSize;
        int* offsets = stackalloc int[SBlock];
        for (int g = 0; g < s.Groups; g++)
            for (int k0 = 0; k0 < kg; k0 += KBlock)
            {
                int rows = Math.Min(KBlock, kg - k0);
                // Missing rows of a short block repeat the last real row; their sums are computed and dropped.
                float* d0 = dyPad + (long)(g * kg + k0) * layout.Length;
                float* d1 = d0 + (long)Math.Min(1, rows - 1) * layout.Length;
                float* d2 = d0 + (long)Math.Min(2, rows - 1) * layout.Length;
                float* d3 = d0 + (long)Math.Min(3, rows - 1) * layout.Length;
                for (int c = 0; c < cg; c++)
                {
                    float* plane = padded + (long)(g * cg + c) * layout.PlaneSize;
                    for (int r = 0; r < s.R; r++)
                    {
                        float* origin = plane + r * s.DilationH * layout.Pitch;
                        for (int s0 = 0; s0 < s.S; s0 += SBlock)
                        {
                            int taps = Math.Min(SBlock, s.S - s0);
                            for (int t = 0; t < SBlock; t++) offsets[t] = (s0 + Math.Min(t, taps - 1)) * s.DilationW;
                            // dw[k, c, r, s] lives at ((g·kg + k)·cg + c)·window + r·S + s.
                            float* target = partial + ((long)(g * kg + k0) * cg + c) * window + r * s.S + s0;
                            Tile(d0, d1, d2, d3, origin + offsets[0], origin + offsets[1], origin + offsets[2],
                                layout.Length, images, layout.ImageSize, target, (long)cg * window, rows, taps);
                        }
                    }
                }
            }
    }

    /// <summary>
    /// target[k·kStride + t] = Σ over images, then j, of d_k[j] · x_t[j] for k &lt; rows, t &lt; taps; each image's
    /// operands lie <paramref name="imageStride"/> floats after the previous one's, <paramref name="length"/> is a multiple of 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile(float* d0, float* d1, float* d2, float* d3, float* x0, float* x1, float* x2, int length,
        int images, long imageStride, float* target, long kStride, int rows, int taps)
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
        Store(target, taps, a00, a01, a02);
        if (rows > 1) Store(target + kStride, taps, a10, a11, a12);
        if (rows > 2) Store(target + 2 * kStride, taps, a20, a21, a22);
        if (rows > 3) Store(target + 3 * kStride, taps, a30, a31, a32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* target, int taps, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2)
    {
        target[0] = LaneSum(t0);
        if (taps > 1) target[1] = LaneSum(t1);
        if (taps > 2) target[2] = LaneSum(t2);
    }

    private static float LaneSum(Vector256<float> v)
    {
        var half = v.GetLower() + v.GetUpper();
        return (half.GetElement(0) + half.GetElement(1)) + (half.GetElement(2) + half.GetElement(3));
    }

    /// <summary>One image's padded scratch: C input planes of <see cref="PlaneSize"/>, then K dy rows of <see cref="Length"/>.</summary>
    private readonly struct Layout
    {
        private readonly int h, w, p, q, c, k, padH, padW;

        public Layout(in Conv2dShape s)
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
            Length = (s.P * Pitch + 7) / 8 * 8;
            // The last vector of the last tap reads up to (P + (R−1)·dh)·Wp + (S−1)·dw + 6 = Hp·Wp + (S−1)·dw + 6.
            PlaneSize = ((s.H + 2 * s.PadH) * Pitch + (s.S - 1) * s.DilationW + 8 + 7) / 8 * 8;
        }

        public int Pitch { get; }
        public int Length { get; }
        public int PlaneSize { get; }
        public long InputSize => (long)c * PlaneSize;
        public long ImageSize => InputSize + (long)k * Length;

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
