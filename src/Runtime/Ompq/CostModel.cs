using Ompq.Runtime.Nn;

namespace Ompq.Runtime.Search;

/// <summary>
/// Model size and BitOps of a bit assignment (spec §5). Size counts weights at their bit-width plus the fixed
/// layers at 8 bits; BitOps = MACs·b_w·b_a with the actual activation width for searched units and 8×8 for the
/// fixed layers and for units pinned to a width (the first and last layers).
/// All budgets are also expressed as exact integers (bits, bit-operations) so the integer solver's feasibility
/// test has no rounding.
/// </summary>
public sealed class CostModel
{
    public const double BytesPerMiB = 1 << 20;
    public const double OpsPerG = 1e9;
    public const int FixedLayerBits = 8;

    public CostModel(IReadOnlyList<QuantUnit> units, FixedLayers fixedLayers, int activationBits)
    {
        if (activationBits is < 2 or > 32)
            throw new InvalidInputException($"activation bits {activationBits} is invalid: expected 2..32");
        Units = units;
        Fixed = fixedLayers;
        ActivationBits = activationBits;
    }

    public IReadOnlyList<QuantUnit> Units { get; }
    public FixedLayers Fixed { get; }
    public int ActivationBits { get; }

    /// <summary>Activation width used for unit i's BitOps: 8 for pinned units (first/last layers), else the chosen width.</summary>
    public int ActivationBitsOf(int unit) => Units[unit].FixedBits is null ? ActivationBits : FixedLayerBits;

    /// <summary>Bit-operations contributed by one weight bit of unit i (MACs·b_a).</summary>
    public long BitOpsPerWeightBit(int unit) => checked(Units[unit].Macs * ActivationBitsOf(unit));

    /// <summary>Storage of the fixed (8-bit) layers in bits.</summary>
    public long FixedSizeBits => checked(Fixed.Params * FixedLayerBits);

    public long FixedBitOps => checked(Fixed.Macs * FixedLayerBits * FixedLayerBits);

    public long SizeBits(IReadOnlyList<int> bits)
    {
        long total = FixedSizeBits;
        for (int i = 0; i < Units.Count; i++) total = checked(total + Units[i].Params * bits[i]);
        return total;
    }

    public long BitOps(IReadOnlyList<int> bits)
    {
        long total = FixedBitOps;
        for (int i = 0; i < Units.Count; i++) total = checked(total + BitOpsPerWeightBit(i) * bits[i]);
        return total;
    }

    public double SizeMiB(IReadOnlyList<int> bits) => SizeBits(bits) / 8.0 / BytesPerMiB;
    public double BitOpsG(IReadOnlyList<int> bits) => BitOps(bits) / OpsPerG;

    /// <summary>Size of unit i at <paramref name="bits"/> in MiB (params/2²⁰ · b/8).</summary>
    public double UnitSizeMiB(int unit, double bits) => Units[unit].Params / BytesPerMiB * bits / 8.0;

    public static double BitsToMiB(long bits) => bits / 8.0 / BytesPerMiB;

    /// <summary>The largest whole number of bits a MiB budget allows (exact: ×2²³ is exact in binary floating point).</summary>
    public static long MiBToBits(double mib) => (long)Math.Floor(mib * 8.0 * BytesPerMiB);

    /// <summary>The largest whole number of bit-operations a G budget allows.</summary>
    public static long GToBitOps(double g) => (long)Math.Floor(g * OpsPerG);
}
