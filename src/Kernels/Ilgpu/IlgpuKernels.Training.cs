namespace Ompq.Kernels.Ilgpu;

/// <summary>The training ops (backward passes, training batch-norm, loss, optimizer steps) on an ILGPU accelerator.</summary>
public sealed partial class IlgpuKernels
{
    private readonly Lazy<Conv2dBackwardLauncher> _convBackward;
    private readonly Lazy<ChannelSumLauncher> _channelSum;
    private readonly Lazy<BatchNormTrainingLauncher> _batchNormTraining;
    private readonly Lazy<PoolingBackwardLauncher> _poolingBackward;
    private readonly Lazy<SoftmaxCrossEntropyLauncher> _softmaxCrossEntropy;
    private readonly Lazy<FakeQuantBackwardLauncher> _fakeQuantBackward;
    private readonly Lazy<OptimizerStepLauncher> _optimizerSteps;

    public void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
        => _convBackward.Value.BackwardData(shape, dy, weight, dx);

    public void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
        => _convBackward.Value.BackwardWeight(shape, x, dy, dw);

    public void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
        => _channelSum.Value.ChannelSum(outer, channels, inner, x, sums);

    public void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd)
        => _batchNormTraining.Value.Forward(shape, x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);

    public void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta)
        => _batchNormTraining.Value.Backward(shape, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);

    public void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length)
        => _elementwise.Value.ActivateBackward(activation, y, dy, dx, length);

    public void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx)
        => _poolingBackward.Value.MaxPool2dBackward(shape, x, dy, dx);

    public void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx) => _poolingBackward.Value.AvgPool2dBackward(shape, dy, dx);

    public void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx) => _poolingBackward.Value.GlobalAvgPoolBackward(shape, dy, dx);

    public void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits)
        => _softmaxCrossEntropy.Value.SoftmaxCrossEntropy(batch, classes, logits, labels, losses, dlogits);

    public void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw) => _fakeQuantBackward.Value.WeightsPerChannel(channels, perChannel, bits, w, scales, dy, dw);

    public void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length)
        => _fakeQuantBackward.Value.PerTensor(quant, x, dy, dx, length);

    public void Axpy(float alpha, BufferSlice x, BufferSlice y, long length) => _elementwise.Value.Axpy(alpha, x, y, length);

    public void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length)
        => _optimizerSteps.Value.Sgd(step, param, grad, momentumBuffer, length);

    public void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length)
        => _optimizerSteps.Value.Adam(step, param, grad, m, v, length);
}
