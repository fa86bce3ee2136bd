using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct BatchNormArgs
{
    public readonly int C;
    public readonly int Spatial;
    public readonly float Eps;
    public readonly int Activation;

    public BatchNormArgs(int c, int spatial, float eps, int activation)
    {
        C = c; Spatial = spatial; Eps = eps; Activation = activation;
    }
}

/// <summary>Inference batch-norm with running statistics and the activation fused: one thread per element.</summary>
internal static class BatchNormKernels
{
    public static void Inference(Index1D index, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> mean, ArrayView<float> variance, ArrayView<float> y, BatchNormArgs p)
    {
        int c = index / p.Spatial % p.C;
        float normalized = (x[index] - mean[c]) / XMath.Sqrt(variance[c] + p.Eps);
        y[index] = EpilogueArgs.Activate(p.Activation, normalized * gamma[c] + beta[c]);
    }
}

internal sealed class BatchNormLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormArgs> _inference;

    public BatchNormLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        _inference = owner.Accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormArgs>(BatchNormKernels.Inference);
    }

    public void Inference(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float eps, BufferSlice y, Activation activation)
    {
        shape.Validate();
        EpilogueArgs.CheckActivation(activation);
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new KernelArgumentException($"batch-norm eps must be a finite number >= 0, got {eps}");
        long size = (long)shape.N * shape.C * shape.Spatial;
        if (size > int.MaxValue) throw new KernelArgumentException($"batch-norm input of {size} floats is too large for one launch");
        x.Require(size, "x");
        gamma.Require(shape.C, "gamma");
        beta.Require(shape.C, "beta");
        runningMean.Require(shape.C, "runningMean");
        runningVar.Require(shape.C, "runningVar");
        y.Require(size, "y");
        _inference((int)size, _owner.View(x, "x"), _owner.View(gamma, "gamma"), _owner.View(beta, "beta"),
            _owner.View(runningMean, "runningMean"), _owner.View(runningVar, "runningVar"), _owner.View(y, "y"),
            new BatchNormArgs(shape.C, (int)shape.Spatial, eps, (int)activation));
    }
}
