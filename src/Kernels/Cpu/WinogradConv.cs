using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// 3×3 stride-1 convolution by Winograd's F(2×2, 3×3): each 2×2 output tile comes from a 4×4 input tile, and the
/// reduction over channels becomes 16 independent GEMMs, one per transform point ξ, M_ξ[K × T] = U_ξ[K × C] · V_ξ[C × T]
/// over all T tiles of all images, with U = G·g·Gᵀ the transformed weights and V = Bᵀ·d·B the transformed input tiles;
/// the output tile is Aᵀ·M·A. That is 16 multiply-adds per 4 outputs and channel instead of 36: 2.25× fewer FMAs on planes
/// of even size, 1.7× on 7×7 (its 4×4 tiles cover 8×8). The transforms only add, subtract and halve, so the result
/// stays within a few roundings of the direct sum (the tests' 2e-5 of |x|·|w| holds with room to spare).
/// Used for deep layers on small planes (<see cref="Applies"/>), where the GEMMs dominate the transforms' memory passes.
/// </summary>
internal static unsafe class WinogradConv
{
    private const int Points = 16;

    /// <summary>
    /// Floats between the 16 point planes of U, V and M: the size rounded up to 4 KiB plus 320 bytes, so the 16 streams a
    /// transform reads or writes together fall into different L1 sets (at a multiple of 4 KiB apart they all alias one set).
    /// </summary>
    private static long PointStride(long size) => (size + 1023) / 1024 * 1024 + 80;

    public static bool Applies(in Conv2dShape s, CpuIsa isa)
    {
        if (s.R != 3 || s.S != 3 || s.StrideH != 1 || s.StrideW != 1 || s.DilationH != 1 || s.DilationW != 1 || s.Groups != 1
            || s.P < 2 || s.Q < 2)
            return false;
        // On AVX-512, planes too wide for the vector transforms stay direct: 64 ch at 56×56 runs even either way there.
        if (isa == CpuIsa.Avx512)
            return WinogradTiles512.Fits(s, (s.P + 1) / 2, (s.Q + 1) / 2, isa) && s.C >= VectorMinChannels && s.K >= VectorMinChannels;
        if (((s.P + 1) / 2 * 2 + 2) * ((s.Q + 1) / 2 * 2 + 2) > MaxPaddedPlane) return false;
        int channels = Math.Min(s.C, s.K);
        return channels >= MinChannels || (channels >= MinChannelsLargePlane && (long)s.P * s.Q >= LargePlane);
    }

    /// <summary>
    /// Where Winograd wins with the AVX-512 transforms (planes up to 32 wide): one thread, Xeon, against the direct GEMM
    /// route: 32 channels at 32×32 1.5× and 16×16 1.4× faster, 16 channels at 32×32 1.2× slower; 64 at 28×28 even, 128 at
    /// 28×28 1.3× and 256 at 14×14 1.5× faster.
    /// </summary>
    private const int VectorMinChannels = 32;

    /// <summary>
    /// With the scalar/SSE transforms (AVX2 and portable paths), channels from which Winograd wins on any plane: 256 at
    /// 7×7 even with the AVX2 GEMM, 1.58× faster at 14×14 (one thread, Xeon, AVX2 pinned).
    /// </summary>
    private const int MinChannels = 256;

    /// <summary>
    /// With the scalar/SSE transforms, from 64 channels on planes of 14×14 and more: AVX2 pinned, one thread, against the
    /// direct GEMM route, 64 ch 56×56 1.3×, 64 ch 28×28 1.16×, 128 ch 28×28 1.28× faster, 64 ch 14×14 even; below that it
    /// loses (128 ch at 7×7 −4 %, 32 ch at 32×32 −17 %). The portable path wins 1.35–2× on all of these.
    /// </summary>
    private const int MinChannelsLargePlane = 64;

    private const int LargePlane = 14 * 14;

    /// <summary>Floats of one zero-padded input plane, kept on the stack of the input transform (32 KiB: a 62×62 output plane).</summary>
    private const int MaxPaddedPlane = 8192;

    /// <summary>Tiles per pass: images are taken a few at a time so V and M stay a few MB (and the GEMMs' N near this).</summary>
    private const int TilesPerPass = 2048;

    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads, CpuIsa isa)
    {
        var s = shape;
        int c = s.C, k = s.K, tilesH = (s.P + 1) / 2, tilesW = (s.Q + 1) / 2, tilesPerImage = tilesH * tilesW;
        int images = Math.Clamp(TilesPerPass / tilesPerImage, 1, s.N);
        int passTiles = images * tilesPerImage;
        long inputStride = PointStride((long)c * passTiles), outputStride = PointStride((long)k * passTiles);
        // Slot 0 (free while this op runs on the calling thread) holds V and M.
        float* work = ThreadScratch.Get(0, Points * (inputStride + outputStride));
        float* packed = ThreadScratch.Get(ThreadScratch.SharedOperand, PointStride(PrePackedA.Size(k, c, isa)) * Points);
        var weights = TransformWeights(w, k, c, packed, threads, isa);
        float* v = work, m = work + Points * inputStride;
        nint vs = (nint)v, ms = (nint)m;
        for (int n0 = 0; n0 < s.N; n0 += images)
        {
            var part = s with { N = Math.Min(images, s.N - n0) };
            int tiles = part.N * tilesPerImage;
            TransformInput(part, x + (long)n0 * c * s.H * s.W, v, inputStride, tilesH, tilesW, threads, isa);
            // 16 GEMMs of K × T × C: one per worker at a time (each big enough to run at the micro-kernel's pace alone).
            CpuParallel.For(Points, threads, point =>
                Gemm.Run(k, tiles, c, weights[point], new DenseB((float*)vs + point * inputStride, tiles, false, isa), 0f,
                    new DenseC((float*)ms + point * outputStride, tiles), default, 1, isa));
            TransformOutput(part, m, outputStride, bias, epilogue, y + (long)n0 * k * s.P * s.Q, tilesH, tilesW, threads, isa);
        }
    }

    /// <summary>
    /// U_ξ[k, c] = (G·g·Gᵀ)[ξ] for the 3×3 kernel g = w[k, c], G = [[1,0,0],[½,½,½],[½,−½,½],[0,0,1]], written straight into
    /// the 16 GEMMs' packed A panels (<see cref="PrePackedA"/>'s layout): a panel's MR rows of one channel are adjacent
    /// there, so each of the 16 point streams is written in order, and U is never stored unpacked (16·K·C floats less
    /// written and read: on a 2-core VM these passes run at memory speed).
    /// </summary>
    internal static PrePackedA[] TransformWeights(float* w, int k, int c, float* packed, int threads, CpuIsa isa)
    {
        var blocking = GemmBlocking.For(isa);
        int mr = blocking.MR, depth = blocking.SliceDepth(c), padded = (k + mr - 1) / mr * mr;
        long pointSize = PointStride(PrePackedA.Size(k, c, isa));
        nint ws = (nint)w, ps = (nint)packed;
        if (WinogradWeights512.Applies(isa))
        {
            CpuParallel.ForRange(padded / mr, threads, 1, (start, end) =>
            {
                for (long panel = start; panel < end; panel++)
                {
                    int i0 = (int)panel * mr;
                    var rows = new WinogradWeights512.RowOffsets(Math.Min(mr, k - i0), mr, c);
                    for (int channel = 0; channel < c; channel++)
                    {
                        int p0 = channel / depth * depth, kc = Math.Min(depth, c - p0);
                        float* at = (float*)ps + (long)p0 * padded + (long)i0 * kc + (long)(channel - p0) * mr;
                        WinogradWeights512.Channel((float*)ws + ((long)i0 * c + channel) * 9, rows, at, pointSize);
                    }
                }
            });
            return ConvWeights.Wrap(packed, pointSize, Points, k, c, isa);
        }
        CpuParallel.ForRange(padded / mr, threads, 1, (start, end) =>
        {
            float* t = stackalloc float[12];
            for (long panel = start; panel < end; panel++)
            {
                int i0 = (int)panel * mr, rows = Math.Min(mr, k - i0);
                for (int channel = 0; channel < c; channel++)
                {
                    int p0 = channel / depth * depth, kc = Math.Min(depth, c - p0);
                    float* at = (float*)ps + (long)p0 * padded + (long)i0 * kc + (long)(channel - p0) * mr;
                    for (int r = 0; r < mr; r++, at++)
                    {
                        if (r >= rows)
                        {
                            for (int point = 0; point < Points; point++) at[point * pointSize] = 0f;
                            continue;
                        }
                        float* g = (float*)ws + ((long)(i0 + r) * c + channel) * 9;
                        // Rows of G·g (4×3), then each times Gᵀ.
                        for (int j = 0; j < 3; j++)
                        {
                            float g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
                            t[j] = g0;
                            t[3 + j] = 0.5f * (g0 + g1 + g2);
                            t[6 + j] = 0.5f * (g0 - g1 + g2);
                            t[9 + j] = g2;
                        }
                        for (int i = 0; i < 4; i++)
                        {
                            float a = t[3 * i], b = t[3 * i + 1], e = t[3 * i + 2];
                            at[(4 * i) * pointSize] = a;
                            at[(4 * i + 1) * pointSize] = 0.5f * (a + b + e);
                            at[(4 * i + 2) * pointSize] = 0.5f * (a - b + e);
                            at[(4 * i + 3) * pointSize] = e;
                        }
                    }
                }
            }
        });
        return ConvWeights.Wrap(packed, pointSize, Points, k, c, isa);
    }

    /// <summary>Values of one point for this many consecutive elements are staged, then written as one run per point.</summary>
    private const int Run = 64;

    /// <summary>For each point ξ, copies staged[ξ·Run .. +count) to destination[ξ·stride ..): 16 short runs instead of 16 scattered stores per element.</summary>
    private static void Scatter(float* staged, float* destination, long stride, int count)
    {
        for (int point = 0; point < Points; point++)
            Buffer.MemoryCopy(staged + point * Run, destination + point * stride, count * sizeof(float), count * sizeof(float));
    }

    /// <summary>The converse of <see cref="Scatter"/>.</summary>
    private static void Gather(float* source, long stride, float* staged, int count)
    {
        for (int point = 0; point < Points; point++)
            Buffer.MemoryCopy(source + point * stride, staged + point * Run, count * sizeof(float), count * sizeof(float));
    }

    /// <summary>V_ξ[c, t] = (Bᵀ·d·B)[ξ] for the 4×4 input tile d of tile t (zero outside the image), Bᵀ = [[1,0,−1,0],[0,1,1,0],[0,−1,1,0],[0,1,0,−1]].</summary>
    internal static void TransformInput(in Conv2dShape s, float* x, float* v, long points, int tilesH, int tilesW, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        int h = s.H, w = s.W, c = s.C, padH = s.PadH, padW = s.PadW, tilesPerImage = tilesH * tilesW;
        long tiles = (long)s.N * tilesPerImage;
        int images = s.N;
        nint xs = (nint)x, vs = (nint)v;
        if (WinogradTiles512.For(s, tilesH, tilesW, isa) is { } planes)
        {
            // Images inner: each point's V is then written as one sequential stream (a plane's 16 tiles follow the
            // previous image's), and the scattered side is the reads of 4 lines per plane instead of 16 line writes.
            CpuParallel.ForRange((long)s.N * c, threads, 64, (start, end) =>
            {
                for (long pair = start; pair < end; pair++)
                {
                    int channel = (int)(pair / images), image = (int)(pair % images);
                    planes.Input((float*)xs + ((long)image * c + channel) * h * w, (float*)vs + pair * tilesPerImage, points);
                }
            });
            return;
        }
        // Each plane is first copied into zero-padded rows (pitch: tiles·2 + 2 columns, tiles·2 + 2 rows), so tiles read without bounds checks.
        int pitch = 2 * tilesW + 2, rows = 2 * tilesH + 2;
        CpuParallel.ForRange((long)s.N * c, threads, 8, (start, end) =>
        {
            float* padded = stackalloc float[pitch * rows];
            float* staged = stackalloc float[Points * Run];
            for (long pair = start; pair < end; pair++)
            {
                // Images inner, as in the vector transforms: each point's V is then written sequentially.
                int channel = (int)(pair / images), image = (int)(pair % images);
                float* src = (float*)xs + ((long)image * c + channel) * h * w;
                new Span<float>(padded, pitch * rows).Clear();
                for (int row = 0; row < h; row++)
                {
                    int target = row + padH;
                    if (target >= rows) break;
                    int first = Math.Max(0, -padW), last = Math.Min(w, pitch - padW);
                    for (int col = first; col < last; col++) padded[target * pitch + col + padW] = src[row * w + col];
                }
                float* dst = (float*)vs + (long)channel * tiles + (long)image * tilesPerImage;
                int lane = 0, run0 = 0;
                for (int ty = 0; ty < tilesH; ty++)
                {
                    float* r0 = padded + 2 * ty * pitch, r1 = r0 + pitch, r2 = r1 + pitch, r3 = r2 + pitch;
                    int tx = 0;
                    for (; simd && tx + 4 <= tilesW; tx += 4)
                    {
                        if (lane + 4 > Run)
                        {
                            Scatter(staged, dst + run0, points, lane);
                            run0 += lane;
                            lane = 0;
                        }
                        FourTiles(r0 + 2 * tx, r1 + 2 * tx, r2 + 2 * tx, r3 + 2 * tx, staged + lane);
                        lane += 4;
                    }
                    for (; tx < tilesW; tx++)
                    {
                        if (lane == Run)
                        {
                            Scatter(staged, dst + run0, points, Run);
                            run0 += Run;
                            lane = 0;
                        }
                        int j = 2 * tx;
                        // Bᵀ·d down each of the 4 columns, then ·B along each of the 4 resulting rows.
                        float a0 = r0[j] - r2[j], a1 = r0[j + 1] - r2[j + 1], a2 = r0[j + 2] - r2[j + 2], a3 = r0[j + 3] - r2[j + 3];
                        float b0 = r1[j] + r2[j], b1 = r1[j + 1] + r2[j + 1], b2 = r1[j + 2] + r2[j + 2], b3 = r1[j + 3] + r2[j + 3];
                        float c0 = r2[j] - r1[j], c1 = r2[j + 1] - r1[j + 1], c2 = r2[j + 2] - r1[j + 2], c3 = r2[j + 3] - r1[j + 3];
                        float d0 = r1[j] - r3[j], d1 = r1[j + 1] - r3[j + 1], d2 = r1[j + 2] - r3[j + 2], d3 = r1[j + 3] - r3[j + 3];
                        float* o = staged + lane;
                        o[0] = a0 - a2;
                        o[Run] = a1 + a2;
                        o[2 * Run] = a2 - a1;
                        o[3 * Run] = a1 - a3;
                        o[4 * Run] = b0 - b2;
                        o[5 * Run] = b1 + b2;
                        o[6 * Run] = b2 - b1;
                        o[7 * Run] = b1 - b3;
                        o[8 * Run] = c0 - c2;
                        o[9 * Run] = c1 + c2;
                        o[10 * Run] = c2 - c1;
                        o[11 * Run] = c1 - c3;
                        o[12 * Run] = d0 - d2;
                        o[13 * Run] = d1 + d2;
                        o[14 * Run] = d2 - d1;
                        o[15 * Run] = d1 - d3;
                        lane++;
                    }
                }
                if (lane > 0) Scatter(staged, dst + run0, points, lane);
            }
        });
    }

    /// <summary>
    /// The input transform of 4 tiles side by side (SSE): their 4×4 windows start 2 columns apart in rows r0..r3, so
    /// each window column is every other element of the row, taken with two shuffles of two loads. o[ξ·Run + 0..4).
    /// </summary>
    private static void FourTiles(float* r0, float* r1, float* r2, float* r3, float* o)
    {
        Columns(r0, out var a0, out var a1, out var a2, out var a3);
        Columns(r1, out var b0, out var b1, out var b2, out var b3);
        Columns(r2, out var c0, out var c1, out var c2, out var c3);
        Columns(r3, out var d0, out var d1, out var d2, out var d3);
        // Bᵀ·d down the columns.
        Vector128<float> t0 = a0 - c0, t1 = a1 - c1, t2 = a2 - c2, t3 = a3 - c3;
        Row(t0, t1, t2, t3, o);
        t0 = b0 + c0; t1 = b1 + c1; t2 = b2 + c2; t3 = b3 + c3;
        Row(t0, t1, t2, t3, o + 4 * Run);
        t0 = c0 - b0; t1 = c1 - b1; t2 = c2 - b2; t3 = c3 - b3;
        Row(t0, t1, t2, t3, o + 8 * Run);
        t0 = b0 - d0; t1 = b1 - d1; t2 = b2 - d2; t3 = b3 - d3;
        Row(t0, t1, t2, t3, o + 12 * Run);
    }

    /// <summary>Window columns 0..3 of 4 tiles: row[2i + j] for i in 0..4.</summary>
    private static void Columns(float* row, out Vector128<float> c0, out Vector128<float> c1, out Vector128<float> c2, out Vector128<float> c3)
    {
        var low = Sse.LoadVector128(row);
        var high = Sse.LoadVector128(row + 4);
        c0 = Sse.Shuffle(low, high, 0x88);
        c1 = Sse.Shuffle(low, high, 0xDD);
        low = Sse.LoadVector128(row + 2);
        high = Sse.LoadVector128(row + 6);
        c2 = Sse.Shuffle(low, high, 0x88);
        c3 = Sse.Shuffle(low, high, 0xDD);
    }

    /// <summary>One row of Bᵀ·d times B: [t0 − t2, t1 + t2, t2 − t1, t1 − t3] to 4 consecutive points.</summary>
    private static void Row(Vector128<float> t0, Vector128<float> t1, Vector128<float> t2, Vector128<float> t3, float* o)
    {
        Sse.Store(o, t0 - t2);
        Sse.Store(o + Run, t1 + t2);
        Sse.Store(o + 2 * Run, t2 - t1);
        Sse.Store(o + 3 * Run, t1 - t3);
    }

    /// <summary>y tile = Aᵀ·M·A (Aᵀ = [[1,1,1,0],[0,1,−1,−1]]) cropped to P×Q, then bias, activation and fake quant per plane.</summary>
    internal static void TransformOutput(in Conv2dShape s, float* m, long points, float* bias, Epilogue epilogue, float* y, int tilesH, int tilesW, int threads,
        CpuIsa isa)
    {
        int p = s.P, q = s.Q, k = s.K, tilesPerImage = tilesH * tilesW;
        long tiles = (long)s.N * tilesPerImage;
        int images = s.N;
        nint ms = (nint)m, ys = (nint)y, bs = (nint)bias;
        var e = epilogue;
        if (WinogradTiles512.For(s, tilesH, tilesW, isa) is { } planes)
        {
            CpuParallel.ForRange((long)s.N * k, threads, 64, (start, end) =>
            {
                for (long pair = start; pair < end; pair++)
                {
                    int channel = (int)(pair / images), image = (int)(pair % images);
                    float* dst = (float*)ys + ((long)image * k + channel) * p * q;
                    planes.Output((float*)ms + pair * tilesPerImage, points, dst);
                    float b = bias != null ? ((float*)bs)[channel] : 0f;
                    if (bias != null || !EpilogueStore.IsIdentity(e)) EpilogueStore.Apply(dst, (long)p * q, b, e, isa);
                }
            });
            return;
        }
        CpuParallel.ForRange((long)s.N * k, threads, 8, (start, end) =>
        {
            float* t = stackalloc float[8];
            float* staged = stackalloc float[Points * Run];
            for (long pair = start; pair < end; pair++)
            {
                int channel = (int)(pair / images), image = (int)(pair % images);
                float* src = (float*)ms + pair * tilesPerImage;
                float* dst = (float*)ys + ((long)image * k + channel) * p * q;
                for (int run0 = 0; run0 < tilesPerImage; run0 += Run)
                {
                    int count = Math.Min(Run, tilesPerImage - run0);
                    Gather(src + run0, points, staged, count);
                    for (int lane = 0; lane < count; lane++)
                    {
                        float* point = staged + lane;
                        // Aᵀ·M: two rows of four.
                        for (int j = 0; j < 4; j++)
                        {
                            float m0 = point[j * Run], m1 = point[(4 + j) * Run], m2 = point[(8 + j) * Run], m3 = point[(12 + j) * Run];
                            t[j] = m0 + m1 + m2;
                            t[4 + j] = m1 - m2 - m3;
                        }
                        int tile = run0 + lane, ty = tile / tilesW, tx = tile - ty * tilesW;
                        int oh = 2 * ty, ow = 2 * tx;
                        for (int i = 0; i < 2 && oh + i < p; i++)
                        {
                            float* row = dst + (oh + i) * q + ow;
                            row[0] = t[4 * i] + t[4 * i + 1] + t[4 * i + 2];
                            if (ow + 1 < q) row[1] = t[4 * i + 1] - t[4 * i + 2] - t[4 * i + 3];
                        }
                    }
                }
                float b = bias != null ? ((float*)bs)[channel] : 0f;
                if (bias != null || !EpilogueStore.IsIdentity(e)) EpilogueStore.Apply(dst, (long)p * q, b, e, isa);
            }
        });
    }
}
