using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// Depthwise convolution (groups = C = K), direct and vectorized over output columns, one (image, channel)
/// plane per work item. Each plane is first copied into a zero-padded scratch plane, split into stride
/// phases (column i·sw + f goes to phase f, index i), so every tap of 8 consecutive outputs is one
/// contiguous load whatever the stride, and the inner loop has no bounds checks. Bias, activation and
/// fake quant are applied before the single store of each output vector.
/// </summary>
internal static unsafe class DepthwiseConv2d
{
    public static void Forward(in Conv2dShape shape, float* x, float* w, float* bias, float* y, Epilogue epilogue, int threads)
    {
        var s = shape;
        var layout = new PaddedLayout(s);
        var store = new VectorEpilogue(epilogue);
        nint xs = (nint)x, ws = (nint)w, bs = (nint)bias, ys = (nint)y;
        CpuParallel.ForRange(s.N * s.C, threads, 8, (start, end) =>
        {
            float* padded = ThreadScratch.Get(0, layout.Size);
            var taps = stackalloc Vector256<float>[s.R * s.S];
            for (long plane = start; plane < end; plane++)
            {
                int c = (int)(plane % s.C);
                for (int t = 0; t < s.R * s.S; t++) taps[t] = Vector256.Create(((float*)ws)[(long)c * s.R * s.S + t]);
                var initial = Vector256.Create(bs != 0 ? ((float*)bs)[c] : 0f);
                layout.Fill((float*)xs + plane * s.H * s.W, padded);
                Plane(s, layout, padded, taps, initial, store, (float*)ys + plane * s.P * s.Q);
            }
        }, chunksPerThread: 16);
    }

    private static void Plane(in Conv2dShape s, in PaddedLayout layout, float* padded, Vector256<float>* taps,
        Vector256<float> initial, in VectorEpilogue store, float* output)
    {
        int p = s.P, q = s.Q, full = q & ~7;
        var tailMask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(q - full)).AsSingle();
        // Tap (r, t) reads phase (t·dw) mod sw at offset (t·dw) div sw.
        int* tapOffsets = stackalloc int[s.S];
        for (int t = 0; t < s.S; t++)
            tapOffsets[t] = (t * s.DilationW) % s.StrideW * layout.PhaseLength + (t * s.DilationW) / s.StrideW;
        for (int oh = 0; oh < p; oh++)
        {
            float* outRow = output + (long)oh * q;
            for (int ow = 0; ow < q; ow += 8)
            {
                var acc = initial;
                for (int r = 0; r < s.R; r++)
                {
                    float* row = padded + (long)(oh * s.StrideH + r * s.DilationH) * layout.RowLength + ow;
                    Vector256<float>* tap = taps + r * s.S;
                    for (int t = 0; t < s.S; t++)
                        acc = Fma.MultiplyAdd(tap[t], Avx.LoadVector256(row + tapOffsets[t]), acc);
                }
                acc = store.Apply(acc);
                if (ow < full) Avx.Store(outRow + ow, acc);
                else Avx.MaskStore(outRow + ow, tailMask, acc);
            }
        }
    }

    /// <summary>Scratch layout of one zero-padded input plane: rows of sw phases, each PhaseLength floats.</summary>
    private readonly struct PaddedLayout
    {
        private readonly int h, w, padH, padW, strideW, rows;

        public PaddedLayout(in Conv2dShape s)
        {
            h = s.H;
            w = s.W;
            padH = s.PadH;
            padW = s.PadW;
            strideW = s.StrideW;
            rows = (s.P - 1) * s.StrideH + (s.R - 1) * s.DilationH + 1;
            int data = (w + 2 * padW + strideW - 1) / strideW;
            int reach = (s.Q + 7) / 8 * 8 + (s.S - 1) * s.DilationW / strideW + 1;
            PhaseLength = Math.Max(data, reach) + 8;
            RowLength = PhaseLength * strideW;
        }

        public int PhaseLength { get; }
        public int RowLength { get; }
        public long Size => (long)rows * RowLength;

        public void Fill(float* plane, float* padded)
        {
            for (int yRow = 0; yRow < rows; yRow++)
            {
                float* dst = padded + (long)yRow * RowLength;
                int ih = yRow - padH;
                if ((uint)ih >= (uint)h)
                {
                    new Span<float>(dst, RowLength).Clear();
                    continue;
                }
                float* src = plane + (long)ih * w;
                if (strideW == 1)
                {
                    new Span<float>(dst, padW).Clear();
                    Buffer.MemoryCopy(src, dst + padW, (long)w * sizeof(float), (long)w * sizeof(float));
                    new Span<float>(dst + padW + w, RowLength - padW - w).Clear();
                    continue;
                }
                for (int f = 0; f < strideW; f++)
                {
                    float* phase = dst + f * PhaseLength;
                    for (int i = 0; i < PhaseLength; i++)
                    {
                        int col = i * strideW + f - padW;
                        phase[i] = (uint)col < (uint)w ? src[col] : 0f;
                    }
                }
            }
        }
    }
}
