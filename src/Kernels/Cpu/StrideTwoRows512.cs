using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// What the AVX-512 stride-2 3×3 window kernels (depthwise conv, max pooling) share: a block of 16 outputs reads each
/// window row with four 16-lane loads at input columns 32b − PadW + {0, 16, 2, 18} (even/odd columns are separated by
/// permutes afterwards), masked where they cross the row's edges; rows outside the image read a stand-in row.
/// </summary>
internal static unsafe class StrideTwoRows512
{
    /// <summary>Lanes whose input column (first + lane) lies inside a row of <paramref name="width"/>.</summary>
    public static Vector512<float> InsideMask(int first, int width)
    {
        var columns = Vector512.Create(first) + Vector512<int>.Indices;
        return (Vector512.GreaterThanOrEqual(columns, Vector512<int>.Zero) & Vector512.LessThan(columns, Vector512.Create(width))).AsSingle();
    }

    /// <summary>Per block of 16 outputs: the four load masks (masks[4b + j]) and whether all four loads lie inside the row.</summary>
    public static (Vector512<float>[] Masks, bool[] Interior) BlockMasks(int q, int padW, int width)
    {
        int blocks = (q + 15) / 16;
        var masks = new Vector512<float>[blocks * 4];
        var interior = new bool[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int first = 32 * b - padW;
            interior[b] = first >= 0 && first + 34 <= width;
            for (int j = 0; j < 4; j++) masks[b * 4 + j] = InsideMask(first + (j % 2) * 16 + (j / 2) * 2, width);
        }
        return (masks, interior);
    }

    /// <summary>Input row <paramref name="ih"/> of a plane, or <paramref name="outside"/> when it lies above or below it.</summary>
    public static float* Row(float* input, int ih, int h, int w, float* outside) => (uint)ih < (uint)h ? input + (long)ih * w : outside;
}
