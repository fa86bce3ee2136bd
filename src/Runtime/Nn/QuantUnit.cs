namespace Ompq.Runtime.Nn;

/// <summary>
/// One OMPQ quantization unit: the layers whose weights share one bit-width, and the capture point whose
/// output feature represents them in the orthogonality matrix.
/// </summary>
/// <param name="Name">Capture-point name, e.g. "layer1.0.conv1" or "layer1.0" (block output).</param>
/// <param name="Layers">Parameter-holding layers (torchvision names) that take this unit's bit-width, e.g. conv2 and the downsample conv.</param>
/// <param name="Params">Parameter count for the size budget: conv/linear weights plus 2·C for each BN (spec §5).</param>
/// <param name="Macs">Multiply-accumulates of those layers for one image at the search input size (BitOps = MACs·b_w·b_a).</param>
/// <param name="FeatureSize">d_i = C·H·W of the captured output for one image.</param>
/// <param name="FixedBits">Set for units that must stay at this width (PTQ stem/classifier at 8 bits); null = searched.</param>
public sealed record QuantUnit(string Name, IReadOnlyList<string> Layers, long Params, long Macs, long FeatureSize, int? FixedBits = null);

/// <summary>The layers outside every unit that stay at 8 bits (QAT: stem conv and classifier), counted in size and BitOps.</summary>
public sealed record FixedLayers(IReadOnlyList<string> Layers, long Params, long Macs);
