namespace Ompq.Kernels.Ilgpu;

/// <summary>The training ops (backward passes, training batch-norm, loss, optimizer steps) on an ILGPU accelerator.</summary>
public sealed partial class IlgpuKernels
{
    public void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
        => throw new NotImplementedException("TODO(helper B)");

    public void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
        => throw new NotImplementedException("TODO(helper B)");

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
        => throw new NotImplementedException("TODO(helper B)");

    public void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd) => throw new NotImplementedException("TODO(helper B)");

    public void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta) => throw new NotImplementedException("TODO(helper B)");

    public void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length) => throw new NotImplementedException("TODO(helper B)");

    public void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx) => throw new NotImplementedException("TODO(helper B)");

    public void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx) => throw new NotImplementedException("TODO(helper B)");

    public void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx) => throw new NotImplementedException("TODO(helper B)");

    public void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits) => throw new NotImplementedException("TODO(helper B)");

    public void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw) => throw new NotImplementedException("TODO(helper B)");

    public void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length) => throw new NotImplementedException("TODO(helper B)");

    public void Axpy(float alpha, BufferSlice x, BufferSlice y, long length) => throw new NotImplementedException("TODO(helper B)");

    public void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length) => throw new NotImplementedException("TODO(helper B)");

    public void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length) => throw new NotImplementedException("TODO(helper B)");
}
