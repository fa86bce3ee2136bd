using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn;

/// <summary>A network OMPQ can search: inference forward on a backend with capture points at its quantization units.</summary>
public interface IQuantizableModel : IDisposable
{
    string Name { get; }

    /// <summary>Input C×H×W the model is built for (units' MACs and feature sizes refer to it).</summary>
    (int Channels, int Height, int Width) InputShape { get; }

    IReadOnlyList<QuantUnit> Units(SearchMode mode);

    FixedLayers Fixed(SearchMode mode);

    /// <summary>
    /// Runs inference (batch-norm on running statistics) on an N×C×H×W batch and returns the output
    /// (logits or features). <paramref name="onUnitOutput"/> is called once per unit, in order, with the unit
    /// index and its output; the tensor is only valid during the call (its memory may be reused).
    /// </summary>
    Tensor Forward(Tensor input, SearchMode mode, Action<int, Tensor>? onUnitOutput = null);
}
