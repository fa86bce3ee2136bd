using TorchSharp;
using static TorchSharp.torch;

namespace Ompq.Tests.Reference;

/// <summary>Moving test data between float arrays and TorchSharp tensors.</summary>
public static class TorchTensors
{
    public static Tensor From(float[] data, params long[] shape) => torch.tensor(data, shape);

    public static float[] Values(Tensor tensor)
    {
        using var flat = tensor.contiguous();
        return flat.data<float>().ToArray();
    }
}
