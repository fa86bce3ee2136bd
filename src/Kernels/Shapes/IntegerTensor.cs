namespace Ompq.Kernels;

/// <summary>
/// A channels-last tensor an integer op reads or writes: 8-bit codes on a <see cref="CodeGrid"/>, or floats, or
/// nothing (<see cref="None"/>, e.g. no residual). A view: the memory belongs to the caller.
/// </summary>
public readonly ref struct IntegerTensor
{
    private IntegerTensor(Span<byte> codes, CodeGrid grid, Span<float> floats)
    {
        Codes = codes;
        Grid = grid;
        Floats = floats;
    }

    public static IntegerTensor None => default;

    public static IntegerTensor OfCodes(Span<byte> codes, CodeGrid grid) => new(codes, grid, default);

    public static IntegerTensor OfFloats(Span<float> floats) => new(default, default, floats);

    public Span<byte> Codes { get; }
    public CodeGrid Grid { get; }
    public Span<float> Floats { get; }
    public bool IsCodes => !Codes.IsEmpty;
    public bool IsFloats => !Floats.IsEmpty;
    public bool IsNone => Codes.IsEmpty && Floats.IsEmpty;
    public long Length => IsCodes ? Codes.Length : Floats.Length;
}
