namespace Ompq.Kernels;

/// <summary>y[Batch×Out] = x[Batch×In]·Wᵀ + bias.</summary>
public readonly record struct LinearShape(int Batch, int In, int Out)
{
    public double Flops => 2.0 * Batch * In * Out;

    public void Validate()
    {
        if (Batch <= 0 || In <= 0 || Out <= 0)
            throw new KernelArgumentException($"linear sizes must be positive, got batch={Batch} in={In} out={Out}");
    }
}
