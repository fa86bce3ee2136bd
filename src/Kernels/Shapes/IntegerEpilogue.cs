namespace Ompq.Kernels;

/// <summary>
/// The requantization a conv or linear layer applies to its int32 sums, per output channel k:
/// y = (acc − Correction[k])·Multiplier[k] + Bias[k], then a residual (if any) is added, then the activation; the
/// output tensor's kind decides whether y is stored as a float or as a code on its grid. Correction removes the input
/// grid's zero code (zero·Σ weights); Multiplier is input scale × weight scale of the channel.
/// </summary>
public sealed class IntegerEpilogue
{
    public IntegerEpilogue(int[] correction, float[] multiplier, float[] bias, Activation activation)
    {
        if (correction.Length != multiplier.Length || bias.Length != multiplier.Length)
            throw new KernelArgumentException($"epilogue arrays differ in length: {correction.Length} corrections, {multiplier.Length} multipliers, {bias.Length} biases");
        Correction = GC.AllocateArray<int>(correction.Length, pinned: true);
        Multiplier = GC.AllocateArray<float>(multiplier.Length, pinned: true);
        Bias = GC.AllocateArray<float>(bias.Length, pinned: true);
        correction.CopyTo(Correction, 0);
        multiplier.CopyTo(Multiplier, 0);
        bias.CopyTo(Bias, 0);
        Activation = activation;
    }

    public int Channels => Multiplier.Length;
    public int[] Correction { get; }
    public float[] Multiplier { get; }
    public float[] Bias { get; }
    public Activation Activation { get; }
}
