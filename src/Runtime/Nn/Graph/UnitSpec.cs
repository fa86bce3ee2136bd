namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// Declares one quantization unit of a graph: the value captured as its feature and the weight layers (node names)
/// that share its bit-width. <see cref="GraphModel"/> derives parameters, MACs and feature size from the graph.
/// </summary>
public sealed record UnitSpec(string Name, string Capture, IReadOnlyList<string> Layers, int? FixedBits = null);
