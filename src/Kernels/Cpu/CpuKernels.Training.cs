namespace Ompq.Kernels.Cpu;

/// <summary>Training ops other than convolution: the shared argument checks (<see cref="TrainingArguments"/>), then the kernels.</summary>
public sealed unsafe partial class CpuKernels
{
    public void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd)
    {
        TrainingArguments.BatchNormTrainingForward(shape, x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
        BatchNormTraining.Forward(shape, Pointer(x, "x"), Pointer(gamma, "gamma"), Pointer(beta, "beta"),
            Pointer(runningMean, "runningMean"), Pointer(runningVar, "runningVar"), momentum, eps,
            Pointer(y, "y"), Pointer(saveMean, "saveMean"), Pointer(saveInvStd, "saveInvStd"), Threads, Isa);
    }

    public void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta)
    {
        TrainingArguments.BatchNormBackward(shape, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        BatchNormTraining.Backward(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(gamma, "gamma"),
            Pointer(saveMean, "saveMean"), Pointer(saveInvStd, "saveInvStd"),
            Pointer(dx, "dx"), Pointer(dgamma, "dgamma"), Pointer(dbeta, "dbeta"), Threads, Isa);
    }

    public void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length)
    {
        TrainingArguments.Elementwise(length, y, "y", dy, "dy", dx, "dx");
        Elementwise.ActivateBackward(activation, Pointer(y, "y"), Pointer(dy, "dy"), Pointer(dx, "dx"), length, Threads, Isa);
    }

    public void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.MaxPool2dBackward(shape, x, dy, dx);
        PoolingBackward.Max(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.AvgPool2dBackward(shape, dy, dx);
        PoolingBackward.Average(shape, Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx)
    {
        TrainingArguments.GlobalAvgPoolBackward(shape, dy, dx);
        PoolingBackward.GlobalAverage(shape, Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits)
    {
        TrainingArguments.SoftmaxCrossEntropy(batch, classes, logits, labels, losses, dlogits);
        float* labelValues = Pointer(labels, "labels");
        // Checked before anything is written, so a bad batch leaves losses and dlogits untouched.
        for (int row = 0; row < batch; row++)
        {
            float label = labelValues[row];
            if (!(label >= 0 && label < classes) || label != MathF.Floor(label))
                throw new KernelArgumentException($"label of row {row} must be a class index in [0, {classes}), got {label}");
        }
        Cpu.SoftmaxCrossEntropy.Run(batch, classes, Pointer(logits, "logits"), labelValues, Pointer(losses, "losses"),
            Pointer(dlogits, "dlogits"), Threads, Isa);
    }

    public void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw)
    {
        TrainingArguments.FakeQuantWeightsPerChannelBackward(channels, perChannel, bits, w, scales, dy, dw);
        FakeQuantBackward.WeightsPerChannel(channels, perChannel, bits, Pointer(w, "w"), Pointer(scales, "scales"),
            Pointer(dy, "dy"), Pointer(dw, "dw"), Threads, Isa);
    }

    public void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length)
    {
        TrainingArguments.FakeQuantPerTensorBackward(quant, x, dy, dx, length);
        FakeQuantBackward.PerTensor(quant, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dx, "dx"), length, Threads, Isa);
    }

    public void Axpy(float alpha, BufferSlice x, BufferSlice y, long length)
    {
        TrainingArguments.Axpy(x, y, length);
        Elementwise.Axpy(alpha, Pointer(x, "x"), Pointer(y, "y"), length, Threads, Isa);
    }

    public void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length)
    {
        TrainingArguments.SgdStep(step, param, grad, momentumBuffer, length);
        OptimizerSteps.Sgd(step, Pointer(param, "param"), Pointer(grad, "grad"),
            step.Momentum != 0 ? Pointer(momentumBuffer, "momentumBuffer") : null, length, Threads, Isa);
    }

    public void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length)
    {
        TrainingArguments.AdamStep(step, param, grad, m, v, length);
        OptimizerSteps.Adam(step, Pointer(param, "param"), Pointer(grad, "grad"), Pointer(m, "m"), Pointer(v, "v"), length, Threads, Isa);
    }
}
