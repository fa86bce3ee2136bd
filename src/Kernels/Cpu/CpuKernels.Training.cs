namespace Ompq.Kernels.Cpu;

/// <summary>Training ops other than convolution: argument checks, then the kernels.</summary>
public sealed unsafe partial class CpuKernels
{
    public void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd)
    {
        shape.Validate();
        // As torch: the unbiased variance of a single value per channel is undefined.
        if ((long)shape.N * shape.Spatial < 2)
            throw new KernelArgumentException($"training batch-norm needs more than one value per channel, got {shape}");
        if (!(momentum >= 0 && momentum <= 1)) throw new KernelArgumentException($"batch-norm momentum must be in [0, 1], got {momentum}");
        CheckBatchNormEps(eps);
        x.Require(shape.Size, "x");
        gamma.Require(shape.C, "gamma");
        beta.Require(shape.C, "beta");
        runningMean.Require(shape.C, "runningMean");
        runningVar.Require(shape.C, "runningVar");
        y.Require(shape.Size, "y");
        saveMean.Require(shape.C, "saveMean");
        saveInvStd.Require(shape.C, "saveInvStd");
        BatchNormTraining.Forward(shape, Pointer(x, "x"), Pointer(gamma, "gamma"), Pointer(beta, "beta"),
            Pointer(runningMean, "runningMean"), Pointer(runningVar, "runningVar"), momentum, eps,
            Pointer(y, "y"), Pointer(saveMean, "saveMean"), Pointer(saveInvStd, "saveInvStd"), Threads);
    }

    public void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta)
    {
        shape.Validate();
        x.Require(shape.Size, "x");
        dy.Require(shape.Size, "dy");
        gamma.Require(shape.C, "gamma");
        saveMean.Require(shape.C, "saveMean");
        saveInvStd.Require(shape.C, "saveInvStd");
        dx.Require(shape.Size, "dx");
        dgamma.Require(shape.C, "dgamma");
        dbeta.Require(shape.C, "dbeta");
        BatchNormTraining.Backward(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(gamma, "gamma"),
            Pointer(saveMean, "saveMean"), Pointer(saveInvStd, "saveInvStd"),
            Pointer(dx, "dx"), Pointer(dgamma, "dgamma"), Pointer(dbeta, "dbeta"), Threads);
    }

    public void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length)
    {
        CheckLength(length);
        y.Require(length, "y");
        dy.Require(length, "dy");
        dx.Require(length, "dx");
        Elementwise.ActivateBackward(activation, Pointer(y, "y"), Pointer(dy, "dy"), Pointer(dx, "dx"), length, Threads);
    }

    public void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx)
    {
        shape.Validate();
        x.Require(shape.InputSize, "x");
        dy.Require(shape.OutputSize, "dy");
        dx.Require(shape.InputSize, "dx");
        PoolingBackward.Max(shape, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx)
    {
        shape.Validate();
        dy.Require(shape.OutputSize, "dy");
        dx.Require(shape.InputSize, "dx");
        PoolingBackward.Average(shape, Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx)
    {
        shape.Validate();
        dy.Require((long)shape.N * shape.C, "dy");
        dx.Require(shape.Size, "dx");
        PoolingBackward.GlobalAverage(shape, Pointer(dy, "dy"), Pointer(dx, "dx"), Threads);
    }

    public void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits)
    {
        if (batch <= 0 || classes <= 0)
            throw new KernelArgumentException($"softmax cross-entropy needs batch > 0 and classes > 0, got {batch} and {classes}");
        logits.Require((long)batch * classes, "logits");
        labels.Require(batch, "labels");
        losses.Require(batch, "losses");
        dlogits.Require((long)batch * classes, "dlogits");
        float* labelValues = Pointer(labels, "labels");
        // Checked before anything is written, so a bad batch leaves losses and dlogits untouched.
        for (int row = 0; row < batch; row++)
        {
            float label = labelValues[row];
            if (!(label >= 0 && label < classes) || label != MathF.Floor(label))
                throw new KernelArgumentException($"label of row {row} must be a class index in [0, {classes}), got {label}");
        }
        Cpu.SoftmaxCrossEntropy.Run(batch, classes, Pointer(logits, "logits"), labelValues, Pointer(losses, "losses"),
            Pointer(dlogits, "dlogits"), Threads);
    }

    public void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw)
    {
        if (channels <= 0 || perChannel <= 0)
            throw new KernelArgumentException($"fake quant needs channels > 0 and perChannel > 0, got {channels} and {perChannel}");
        QuantParams.CheckBits(bits);
        w.Require(channels * perChannel, "w");
        scales.Require(channels, "scales");
        dy.Require(channels * perChannel, "dy");
        dw.Require(channels * perChannel, "dw");
        FakeQuantBackward.WeightsPerChannel(channels, perChannel, bits, Pointer(w, "w"), Pointer(scales, "scales"),
            Pointer(dy, "dy"), Pointer(dw, "dw"), Threads);
    }

    public void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length)
    {
        quant.Validate();
        CheckLength(length);
        x.Require(length, "x");
        dy.Require(length, "dy");
        dx.Require(length, "dx");
        FakeQuantBackward.PerTensor(quant, Pointer(x, "x"), Pointer(dy, "dy"), Pointer(dx, "dx"), length, Threads);
    }

    public void Axpy(float alpha, BufferSlice x, BufferSlice y, long length)
    {
        CheckLength(length);
        x.Require(length, "x");
        y.Require(length, "y");
        Elementwise.Axpy(alpha, Pointer(x, "x"), Pointer(y, "y"), length, Threads);
    }

    public void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length)
    {
        step.Validate();
        CheckLength(length);
        param.Require(length, "param");
        grad.Require(length, "grad");
        if (step.Momentum != 0) momentumBuffer.Require(length, "momentumBuffer");
        OptimizerSteps.Sgd(step, Pointer(param, "param"), Pointer(grad, "grad"),
            step.Momentum != 0 ? Pointer(momentumBuffer, "momentumBuffer") : null, length, Threads);
    }

    public void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length)
    {
        step.Validate();
        CheckLength(length);
        param.Require(length, "param");
        grad.Require(length, "grad");
        m.Require(length, "m");
        v.Require(length, "v");
        OptimizerSteps.Adam(step, Pointer(param, "param"), Pointer(grad, "grad"), Pointer(m, "m"), Pointer(v, "v"), length, Threads);
    }

    private static void CheckBatchNormEps(float eps)
    {
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new KernelArgumentException($"batch-norm eps must be a finite number >= 0, got {eps}");
    }
}
