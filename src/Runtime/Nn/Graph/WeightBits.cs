namespace Ompq.Runtime.Nn.Graph;

/// <summary>An immutable layer → weight bit-width assignment; a new instance means the device weights must be rebuilt.</summary>
internal sealed class WeightBits
{
    public static readonly WeightBits None = new(new Dictionary<string, int>());

    public WeightBits(IReadOnlyDictionary<string, int> bits) => Bits = bits;

    public IReadOnlyDictionary<string, int> Bits { get; }
}
