using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Per-channel sums of x viewed as outer×channels×inner (bias gradients). Deterministic whatever the worker count:
/// the work is cut into (row chunk, channel block) items whose sizes come from the shape alone, each item's sums run
/// in a fixed order, and the row chunks' partial sums are added in chunk order at the end.
/// </summary>
internal static unsafe class ChannelSum
{
    /// <summary>About this many elements per work item: big enough to amortize scheduling, small enough to balance.</summary>
    private const long ItemElements = 1 << 16;

    /// <summary>Below this inner size rows are summed as whole vectors across channels rather than channel by channel.</summary>
    private const long ShortInner = 16;

    public static void Compute(long outer, int channels, long inner, float* x, float* sums, int threads, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        long rowLength = channels * inner;
        long rowsPerChunk = Math.Clamp(ItemElements / rowLength, 1, outer);
        int chunks = checked((int)((outer + rowsPerChunk - 1) / rowsPerChunk));
        int channelsPerBlock = (int)Math.Clamp(ItemElements / (rowsPerChunk * inner), 1, channels);
        int blocks = (channels + channelsPerBlock - 1) / channelsPerBlock;
        var partials = new float[(long)chunks * channels];
        nint xs = (nint)x;
        CpuParallel.For(checked(chunks * blocks), threads, item =>
        {
            int chunk = item / blocks, c0 = item % blocks * channelsPerBlock;
            int count = Math.Min(channelsPerBlock, channels - c0);
            long row0 = chunk * rowsPerChunk, rows = Math.Min(rowsPerChunk, outer - row0);
            fixed (float* partial = &partials[(long)chunk * channels + c0])
            {
                float* first = (float*)xs + row0 * rowLength + c0 * inner;
                if (inner < ShortInner) ShortRows(first, rows, rowLength, count, inner, partial, simd);
                else LongRows(first, rows, rowLength, count, inner, partial, simd);
            }
        });
        for (int c = 0; c < channels; c++)
        {
            float total = 0f;
            for (int chunk = 0; chunk < chunks; chunk++) total += partials[(long)chunk * channels + c];
            sums[c] = total;
        }
    }

    /// <summary>Each (row, channel) run summed on its own, then the runs added row by row.</summary>
    private static void LongRows(float* x, long rows, long rowLength, int channels, long inner, float* partial, bool simd)
    {
        for (int c = 0; c < channels; c++)
        {
            float total = 0f;
            for (long row = 0; row < rows; row++) total += Sum(x + row * rowLength + c * inner, inner, simd);
            partial[c] = total;
        }
    }

    /// <summary>Short runs: add the rows' channels×inner blocks as vectors, then each channel's few inner columns.</summary>
    private static void ShortRows(float* x, long rows, long rowLength, int channels, long inner, float* partial, bool simd)
    {
        long width = channels * inner;
        float* columns = ThreadScratch.Get(0, width);
        new Span<float>(columns, (int)width).Clear();
        for (long row = 0; row < rows; row++)
        {
            float* src = x + row * rowLength;
            long i = 0;
            for (; simd && i + 8 <= width; i += 8) Avx.Store(columns + i, Avx.LoadVector256(columns + i) + Avx.LoadVector256(src + i));
            for (; i < width; i++) columns[i] += src[i];
        }
        for (int c = 0; c < channels; c++)
        {
            float total = 0f;
            for (long i = 0; i < inner; i++) total += columns[c * inner + i];
            partial[c] = total;
        }
    }

    /// <summary>Sum of a contiguous run with four vector accumulators, combined in a fixed order.</summary>
    public static float Sum(float* x, long length, bool simd)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        long i = 0;
        for (; simd && i + 32 <= length; i += 32)
        {
            a0 += Avx.LoadVector256(x + i);
            a1 += Avx.LoadVector256(x + i + 8);
            a2 += Avx.LoadVector256(x + i + 16);
            a3 += Avx.LoadVector256(x + i + 24);
        }
        for (; simd && i + 8 <= length; i += 8) a0 += Avx.LoadVector256(x + i);
        var v = (a0 + a1) + (a2 + a3);
        var half = v.GetLower() + v.GetUpper();
        float total = (half.GetElement(0) + half.GetElement(1)) + (half.GetElement(2) + half.GetElement(3));
        for (; i < length; i++) total += x[i];
        return total;
    }
}
