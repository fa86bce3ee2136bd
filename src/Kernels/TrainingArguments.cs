namespace Ompq.Kernels;

/// <summary>
/// The argument checks of the training ops, shared by every backend so that an op refuses the same inputs with the
/// same message everywhere (backends add only their own limits, such as a device's 32-bit launch sizes).
/// </summary>
public static class TrainingArguments
{
    public static void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx)
    {
        shape.Validate();
        dy.Require(shape.OutputSize, "dy");
        weight.Require(shape.WeightSize, "weight");
        dx.Require(shape.InputSize, "dx");
    }

    public static void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw)
    {
        shape.Validate();
        x.Require(shape.InputSize, "x");
        dy.Require(shape.OutputSize, "dy");
        dw.Require(shape.WeightSize, "dw");
    }

    public static void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums)
    {
        if (outer <= 0 || channels <= 0 || inner <= 0)
            throw new KernelArgumentException($"channel sum needs positive sizes, got outer={outer} channels={channels} inner={inner}");
        x.Require(outer * channels * inner, "x");
        sums.Require(channels, "sums");
    }

    public static void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps, BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd)
    {
        shape.Validate();
        // As torch: the unbiased variance of a single value per channel is undefined.
        if ((long)shape.N * shape.Spatial < 2)
            throw new KernelArgumentException($"training batch-norm needs more than one value per channel, got {shape}");
        if (!(momentum >= 0 && momentum <= 1)) throw new KernelArgumentException($"batch-norm momentum must be in [0, 1], got {momentum}");
        if (!(eps >= 0) || float.IsInfinity(eps)) throw new KernelArgumentException($"batch-norm eps must be a finite number >= 0, got {eps}");
        x.Require(shape.Size, "x");
        gamma.Require(shape.C, "gamma");
        beta.Require(shape.C, "beta");
        runningMean.Require(shape.C, "runningMean");
        runningVar.Require(shape.C, "runningVar");
        y.Require(shape.Size, "y");
        saveMean.Require(shape.C, "saveMean");
        saveInvStd.Require(shape.C, "saveInvStd");
    }

    public static void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
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
    }

    /// <summary>The three-operand elementwise ops over <paramref name="length"/> floats (activation backward, STE backward).</summary>
    public static void Elementwise(long length, BufferSlice a, string aName, BufferSlice b, string bName, BufferSlice c, string cName)
    {
        Length(length);
        a.Require(length, aName);
        b.Require(length, bName);
        c.Require(length, cName);
    }

    public static void Axpy(BufferSlice x, BufferSlice y, long length)
    {
        Length(length);
        x.Require(length, "x");
        y.Require(length, "y");
    }

    public static void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx)
    {
        AvgPool2dBackward(shape, dy, dx);
        x.Require(shape.InputSize, "x");
    }

    public static void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx)
    {
        shape.Validate();
        dy.Require(shape.OutputSize, "dy");
        dx.Require(shape.InputSize, "dx");
    }

    public static void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx)
    {
        shape.Validate();
        dy.Require((long)shape.N * shape.C, "dy");
        dx.Require(shape.Size, "dx");
    }

    /// <summary>Sizes only: backends that can read labels on the host also check their values before writing anything.</summary>
    public static void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits)
    {
        if (batch <= 0 || classes <= 0)
            throw new KernelArgumentException($"softmax cross-entropy needs batch > 0 and classes > 0, got batch={batch} classes={classes}");
        logits.Require((long)batch * classes, "logits");
        labels.Require(batch, "labels");
        losses.Require(batch, "losses");
        dlogits.Require((long)batch * classes, "dlogits");
    }

    public static void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw)
    {
        if (channels <= 0 || perChannel <= 0)
            throw new KernelArgumentException($"per-channel fake quant needs channels > 0 and perChannel > 0, got {channels} and {perChannel}");
        QuantParams.CheckBits(bits);
        long size = channels * perChannel;
        w.Require(size, "w");
        scales.Require(channels, "scales");
        dy.Require(size, "dy");
        dw.Require(size, "dw");
    }

    public static void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length)
    {
        quant.Validate();
        Elementwise(length, x, "x", dy, "dy", dx, "dx");
    }

    /// <summary>The momentum buffer is required only when momentum is used.</summary>
    public static void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length)
    {
        step.Validate();
        Length(length);
        param.Require(length, "param");
        grad.Require(length, "grad");
        if (step.Momentum != 0) momentumBuffer.Require(length, "momentumBuffer");
    }

    public static void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length)
    {
        step.Validate();
        Length(length);
        param.Require(length, "param");
        grad.Require(length, "grad");
        m.Require(length, "m");
        v.Require(length, "v");
    }

    private static void Length(long length)
    {
        if (length < 0) throw new KernelArgumentException($"length must be >= 0, got {length}");
    }
}
