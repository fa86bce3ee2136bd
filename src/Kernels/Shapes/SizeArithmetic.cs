namespace Ompq.Kernels;

/// <summary>
/// Derived sizes of shapes, computed so that no combination of parameters can wrap: sums and products of 32-bit
/// parameters are formed in 128-bit arithmetic and saturate at <see cref="long.MaxValue"/>. Kernels index within an
/// image, a plane, a window or a scratch area with 32-bit ints, so a shape's Validate() requires every such size to
/// be at most <see cref="MaxIndexable"/>; a size that saturated is therefore refused, never used.
/// </summary>
internal static class SizeArithmetic
{
    /// <summary>The largest size a kernel indexes with an int.</summary>
    public const long MaxIndexable = int.MaxValue;

    public static long Product(params ReadOnlySpan<long> factors)
    {
        Int128 product = 1;
        foreach (long f in factors)
        {
            product *= f;
            if (product > long.MaxValue) return long.MaxValue;
            if (product < long.MinValue) return long.MinValue;
        }
        return (long)product;
    }

    /// <summary>Extent of a dilated window along one axis: dilation·(kernel − 1) + 1.</summary>
    public static long WindowExtent(int kernel, int dilation) => Saturate((Int128)dilation * (kernel - 1) + 1);

    /// <summary>Input extent with padding on both sides.</summary>
    public static long PaddedExtent(int size, int pad) => size + 2L * pad;

    /// <summary>Outputs of a floor-mode sliding window along one axis; 0 when the window does not fit in the padded input.</summary>
    public static long Outputs(int size, int pad, int kernel, int stride, int dilation)
    {
        long padded = PaddedExtent(size, pad), extent = WindowExtent(kernel, dilation);
        if (stride <= 0 || padded < extent) return 0;
        return (padded - extent) / stride + 1;
    }

    /// <summary>An output extent as the int the kernels use; only meaningful once Validate() has bounded it.</summary>
    public static int AsExtent(long outputs) => (int)Math.Clamp(outputs, 0, int.MaxValue);

    /// <summary>
    /// Throws unless <paramref name="value"/> is within what kernels index with an int. Generic over the shape so that
    /// the check boxes nothing: it runs on every launch, and steady-state inference must not allocate.
    /// </summary>
    public static void RequireIndexable<TShape>(string op, string what, long value, in TShape shape) where TShape : struct
    {
        if (value > MaxIndexable)
            throw new KernelArgumentException($"{op} {what} is {(value == long.MaxValue ? "beyond 2^63" : value.ToString())}, more than the {MaxIndexable} a kernel can index, for {shape}");
    }

    private static long Saturate(Int128 value) => value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
}
