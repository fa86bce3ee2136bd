using Ompq.Kernels;
using static TorchSharp.torch;

namespace Ompq.Tests.Reference;

/// <summary>The contract's activations in torch terms.</summary>
public static class TorchActivation
{
    public static Tensor Apply(Activation activation, Tensor x) => activation switch
    {
        Activation.Relu => nn.functional.relu(x),
        Activation.Relu6 => nn.functional.relu6(x),
        _ => x.alias(),
    };
}
