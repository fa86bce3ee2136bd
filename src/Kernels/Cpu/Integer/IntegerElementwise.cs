using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu.Integer;

/// <summary>
/// The ops between the integer GEMMs: conversions between floats and codes, residual adds that could not be fused,
/// pooling. They are memory-bound and small beside the convolutions, so they are plain loops (max pooling compares
/// 16 channels per step). Codes are read as (code − zero)·scale and written as <see cref="CodeGrid.Quantize"/>.
/// </summary>
internal static unsafe class IntegerElementwise
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Read(in IntegerTensor t, long i) => t.IsCodes ? (t.Codes[(int)i] - t.Grid.Zero) * t.Grid.Scale : t.Floats[(int)i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Write(in IntegerTensor t, long i, float y)
    {
        if (t.IsCodes) t.Codes[(int)i] = (byte)t.Grid.Quantize(y);
        else t.Floats[(int)i] = y;
    }

    public static void QuantizeNchw(int n, int c, int h, int w, ReadOnlySpan<float> input, CodeGrid grid, Span<byte> output)
    {
        int plane = h * w;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                var src = input.Slice((b * c + ch) * plane, plane);
                var dst = output.Slice(b * c * plane);
                for (int i = 0; i < plane; i++) dst[i * c + ch] = (byte)grid.Quantize(src[i]);
            }
    }

    public static void Convert(long count, IntegerTensor input, Activation activation, IntegerTensor output)
    {
        var (low, high) = EpilogueTarget.Bounds(activation);
        for (long i = 0; i < count; i++) Write(output, i, MathF.Min(MathF.Max(Read(input, i), low), high));
    }

    public static void Add(long count, IntegerTensor a, IntegerTensor b, Activation activation, IntegerTensor output)
    {
        var (low, high) = EpilogueTarget.Bounds(activation);
        for (long i = 0; i < count; i++) Write(output, i, MathF.Min(MathF.Max(Read(a, i) + Read(b, i), low), high));
    }

    public static void MaxPool(in Pool2dShape s, ReadOnlySpan<byte> input, Span<byte> output)
    {
        int c = s.C;
        fixed (byte* x = input)
        fixed (byte* y = output)
        {
            for (int n = 0; n < s.N; n++)
                for (int p = 0; p < s.P; p++)
                    for (int q = 0; q < s.Q; q++)
                    {
                        byte* dst = y + (((long)n * s.P + p) * s.Q + q) * c;
                        new Span<byte>(dst, c).Clear();
                        for (int r = 0; r < s.R; r++)
                        {
                            int h = p * s.StrideH - s.PadH + r;
                            if (h < 0 || h >= s.H) continue;
                            for (int t = 0; t < s.S; t++)
                            {
                                int w = q * s.StrideW - s.PadW + t;
                                if (w < 0 || w >= s.W) continue;
                                byte* src = x + (((long)n * s.H + h) * s.W + w) * c;
                                int i = 0;
                                for (; i + 16 <= c; i += 16)
                                    Vector128.Max(Vector128.Load(dst + i), Vector128.Load(src + i)).Store(dst + i);
                                for (; i < c; i++) if (src[i] > dst[i]) dst[i] = src[i];
                            }
                        }
                    }
        }
    }

    public static void MaxPoolValues(in Pool2dShape s, IntegerTensor input, IntegerTensor output)
    {
        int c = s.C;
        for (int n = 0; n < s.N; n++)
            for (int p = 0; p < s.P; p++)
                for (int q = 0; q < s.Q; q++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float max = float.NegativeInfinity;
                        for (int r = 0; r < s.R; r++)
                        {
                            int h = p * s.StrideH - s.PadH + r;
                            if (h < 0 || h >= s.H) continue;
                            for (int t = 0; t < s.S; t++)
                            {
                                int w = q * s.StrideW - s.PadW + t;
                                if (w >= 0 && w < s.W) max = MathF.Max(max, Read(input, (((long)n * s.H + h) * s.W + w) * c + ch));
                            }
                        }
                        Write(output, (((long)n * s.P + p) * s.Q + q) * c + ch, max);
                    }
    }

    public static void AvgPool(in Pool2dShape s, IntegerTensor input, IntegerTensor output)
    {
        int c = s.C;
        for (int n = 0; n < s.N; n++)
            for (int p = 0; p < s.P; p++)
                for (int q = 0; q < s.Q; q++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        float sum = 0f;
                        int inside = 0;
                        for (int r = 0; r < s.R; r++)
                        {
                            int h = p * s.StrideH - s.PadH + r;
                            if (h < 0 || h >= s.H) continue;
                            for (int t = 0; t < s.S; t++)
                            {
                                int w = q * s.StrideW - s.PadW + t;
                                if (w < 0 || w >= s.W) continue;
                                sum += Read(input, (((long)n * s.H + h) * s.W + w) * c + ch);
                                inside++;
                            }
                        }
                        // count_include_pad counts the padded taps that lie inside the padded input, as PyTorch does.
                        int hs = p * s.StrideH - s.PadH, ws = q * s.StrideW - s.PadW;
                        int divisor = s.CountIncludePad
                            ? (Math.Min(hs + s.R, s.H + s.PadH) - hs) * (Math.Min(ws + s.S, s.W + s.PadW) - ws)
                            : inside;
                        Write(output, (((long)n * s.P + p) * s.Q + q) * c + ch, sum / divisor);
                    }
    }

    public static void GlobalAvgPool(int n, int c, int hw, IntegerTensor input, IntegerTensor output)
    {
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                float sum = 0f;
                for (int i = 0; i < hw; i++) sum += Read(input, ((long)b * hw + i) * c + ch);
                Write(output, (long)b * c + ch, sum / hw);
            }
    }
}
