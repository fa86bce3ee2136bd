using Ompq.Kernels;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Training;

/// <summary>
/// Batch-norm (+ activation) of a node being trained, shared by the conv node (whose batch-norm is unfused while
/// training) and the standalone batch-norm node. Training mode saves the batch mean and 1/σ on the tape.
/// </summary>
internal static class BatchNormStep
{
    public static void Forward(TrainingContext context, NodeTape tape, BatchNormParams bn, Tensor x, Tensor y, Activation activation)
    {
        var k = context.Kernels;
        var p = context.Parameters;
        var shape = Channels(x);
        if (!context.Training)
        {
            k.BatchNormInference(shape, x.Data, p[bn.Gamma].Value, p[bn.Beta].Value, p[bn.RunningMean].Value, p[bn.RunningVar].Value,
                bn.Eps, y.Data, activation);
            return;
        }
        var mean = context.Rent(new[] { shape.C });
        var invStd = context.Rent(new[] { shape.C });
        k.BatchNormTrainingForward(shape, x.Data, p[bn.Gamma].Value, p[bn.Beta].Value, p[bn.RunningMean].Value, p[bn.RunningVar].Value,
            context.BatchNormMomentum, bn.Eps, y.Data, mean.Data, invStd.Data);
        if (activation != Activation.None) k.Activate(activation, y.Data, y.Data, y.Size);
        tape.Save(mean);
        tape.Save(invStd);
    }

    /// <summary>∂loss/∂x from ∂loss/∂y; writes the gradients of gamma and beta. <paramref name="tapeOffset"/>: where Forward's saves start.</summary>
    public static Tensor Backward(TrainingContext context, NodeTape tape, int tapeOffset, BatchNormParams bn, Tensor x, Tensor y,
        Tensor outputGradient, Activation activation)
    {
        if (!context.Training) throw new InvalidOperationException("batch-norm backward needs a training-mode forward");
        var p = context.Parameters;
        var gradient = context.ActivationGradient(activation, y, outputGradient);
        var dx = context.Rent(x.Shape);
        context.Kernels.BatchNormBackward(Channels(x), x.Data, gradient.Data, p[bn.Gamma].Value, tape[tapeOffset].Data, tape[tapeOffset + 1].Data,
            dx.Data, p[bn.Gamma].Gradient!, p[bn.Beta].Gradient!);
        return dx;
    }

    public static IEnumerable<string> Trainable(BatchNormParams bn) => new[] { bn.Gamma, bn.Beta };

    private static ChannelShape Channels(Tensor x) => new(x.Dim(0), x.Dim(1), x.Size / x.Dim(0) / x.Dim(1));
}
