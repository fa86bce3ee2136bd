using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Ompq.Kernels.Ilgpu;

internal readonly struct BatchNormTrainingArgs
{
    public readonly ChannelLayout Layout;
    public readonly float Momentum;
    public readonly float Eps;

    public BatchNormTrainingArgs(in ChannelShape shape, float momentum, float eps)
    {
        Layout = new ChannelLayout(shape.N, shape.C, shape.Spatial);
        Momentum = momentum;
        Eps = eps;
    }
}

/// <summary>
/// Training batch-norm, one group per channel (grid x = channel) doing the whole channel: the statistics by
/// shared-memory trees over strided per-thread shares (fixed order), then the elementwise pass. The variance is
/// computed from the mean in a second pass (not E[x²] − mean², which cancels badly). Channels are independent, so
/// nothing crosses groups; with few channels and large batches a faster design splits each channel's statistics
/// over several groups (partials, then a fixed-order finishing pass) and runs the elementwise pass over all threads.
/// </summary>
internal static class BatchNormTrainingKernels
{
    public static void Forward(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd, BatchNormTrainingArgs p)
    {
        var shared = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long count = p.Layout.PerChannel;

        float sum = 0;
        for (long i = thread; i < count; i += GroupReduce.Threads) sum += x[ChannelLayout.Offset(p.Layout, channel, i)];
        float mean = GroupReduce.Sum(shared, thread, sum) / count;

        float squares = 0;
        for (long i = thread; i < count; i += GroupReduce.Threads)
        {
            float centered = x[ChannelLayout.Offset(p.Layout, channel, i)] - mean;
            squares += centered * centered;
        }
        float sumOfSquares = GroupReduce.Sum(shared, thread, squares);
        float variance = sumOfSquares / count;
        float invStd = 1f / XMath.Sqrt(variance + p.Eps);

        if (thread == 0)
        {
            saveMean[channel] = mean;
            saveInvStd[channel] = invStd;
            // PyTorch keeps the unbiased variance in the running statistics (count > 1 is checked by the launcher).
            float unbiased = sumOfSquares / (count - 1);
            runningMean[channel] = (1f - p.Momentum) * runningMean[channel] + p.Momentum * mean;
            runningVar[channel] = (1f - p.Momentum) * runningVar[channel] + p.Momentum * unbiased;
        }

        float scale = invStd * gamma[channel];
        float shift = beta[channel];
        for (long i = thread; i < count; i += GroupReduce.Threads)
        {
            long offset = ChannelLayout.Offset(p.Layout, channel, i);
            y[offset] = (x[offset] - mean) * scale + shift;
        }
    }

    public static void Backward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd, ArrayView<float> dx,
        ArrayView<float> dgamma, ArrayView<float> dbeta, ChannelLayout layout)
    {
        var sharedDy = SharedMemory.Allocate<float>(GroupReduce.Threads);
        var sharedDyXHat = SharedMemory.Allocate<float>(GroupReduce.Threads);
        int thread = Group.IdxX;
        int channel = Grid.IdxX;
        long count = layout.PerChannel;
        float mean = saveMean[channel];
        float invStd = saveInvStd[channel];

        float dySum = 0, dyXHatSum = 0;
        for (long i = thread; i < count; i += GroupReduce.Threads)
        {
            long offset = ChannelLayout.Offset(layout, channel, i);
            float gradient = dy[offset];
            dySum += gradient;
            dyXHatSum += gradient * (x[offset] - mean) * invStd;
        }
        GroupReduce.SumPair(sharedDy, sharedDyXHat, thread, ref dySum, ref dyXHatSum);
        if (thread == 0)
        {
            dgamma[channel] = dyXHatSum;
            dbeta[channel] = dySum;
        }

        float scale = gamma[channel] * invStd;
        float dyMean = dySum / count;
        float dyXHatMean = dyXHatSum / count;
        // Each element reads its x and dy before writing its dx, so dx may alias either.
        for (long i = thread; i < count; i += GroupReduce.Threads)
        {
            long offset = ChannelLayout.Offset(layout, channel, i);
            float xHat = (x[offset] - mean) * invStd;
            dx[offset] = scale * (dy[offset] - dyMean - xHat * dyXHatMean);
        }
    }
}

internal sealed class BatchNormTrainingLauncher
{
    private readonly IlgpuKernels _owner;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormTrainingArgs> _forward;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelLayout> _backward;

    public BatchNormTrainingLauncher(IlgpuKernels owner)
    {
        _owner = owner;
        var accelerator = owner.Accelerator;
        _forward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, BatchNormTrainingArgs>(BatchNormTrainingKernels.Forward);
        _backward = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ArrayView<float>, ChannelLayout>(BatchNormTrainingKernels.Backward);
    }

    public void Forward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd)
    {
        TrainingArguments.BatchNormTrainingForward(shape, x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
        _forward(new KernelConfig(shape.C, GroupReduce.Threads), _owner.View(x, "x"), _owner.View(gamma, "gamma"), _owner.View(beta, "beta"),
            _owner.View(runningMean, "runningMean"), _owner.View(runningVar, "runningVar"), _owner.View(y, "y"),
            _owner.View(saveMean, "saveMean"), _owner.View(saveInvStd, "saveInvStd"), new BatchNormTrainingArgs(shape, momentum, eps));
    }

    public void Backward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta)
    {
        TrainingArguments.BatchNormBackward(shape, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta);
        _backward(new KernelConfig(shape.C, GroupReduce.Threads), _owner.View(x, "x"), _owner.View(dy, "dy"), _owner.View(gamma, "gamma"),
            _owner.View(saveMean, "saveMean"), _owner.View(saveInvStd, "saveInvStd"), _owner.View(dx, "dx"),
            _owner.View(dgamma, "dgamma"), _owner.View(dbeta, "dbeta"), new ChannelLayout(shape.N, shape.C, shape.Spatial));
    }
}
