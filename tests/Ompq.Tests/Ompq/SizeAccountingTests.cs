using Ompq.Runtime.Nn;
using Ompq.Runtime.Search;

namespace Ompq.Tests.Search;

/// <summary>`--accounting reference`: the reference's published PTQ bit configurations measure the published sizes.</summary>
public sealed class SizeAccountingTests
{
    // MAC-AutoML/OMPQ PTQ/run_scripts: the bit configurations published beside each size label (MiB), one width per
    // unit in network order, stem and classifier included; and the size the reference's own counting gives them
    // (Σ b·(conv weights + 2·C for BN, or linear weights + bias)/8/2²⁰, nothing fixed). ResNet-18's configurations
    // come from its budget-respecting rounding and sit just below the label; MobileNetV2's are plainly rounded, so
    // the "1.5" one weighs 1.519 MiB and the "1.3" one 1.280 MiB in the reference too.
    public static TheoryData<string, double, double, int[]> Published => new()
    {
        { "resnet18", 4.0, 3.9999608993530273, [4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 4, 3, 2, 3, 3, 3] },
        { "resnet18", 4.5, 4.499442100524902, [4, 3, 3, 4, 4, 4, 4, 4, 4, 4, 3, 3, 4, 4, 3, 3, 3, 3] },
        { "resnet18", 5.5, 5.499652862548828, [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4] },
        { "mobilenet_v2", 1.5, 1.5185461044311523, [.. Enumerable.Repeat(4, 52), 3] },
        { "mobilenet_v2", 1.3, 1.280008316040039, [.. Enumerable.Repeat(4, 50), 3, 3, 2] },
    };

    [Theory]
    [MemberData(nameof(Published))]
    public void PublishedPtqConfigurationsMeasureThePublishedSizes(string model, double label, double referenceMiB, int[] bits)
    {
        using var network = ModelZoo.Create(model);
        var units = SizeAccountingRules.Units(network, SearchMode.Ptq, SizeAccounting.Reference);
        Assert.Equal(bits.Length, units.Count);
        Assert.All(units, u => Assert.Null(u.FixedBits));
        var costs = new CostModel(units, network.Fixed(SearchMode.Ptq), 8);
        double size = costs.SizeMiB(bits);
        Assert.Equal(referenceMiB, size, 1e-12);
        Assert.InRange(size, label - 0.025, label + 0.025);

        // The default accounting pins stem and classifier at 8 bits, so the same widths weigh more there.
        var pinned = network.Units(SearchMode.Ptq);
        var pinnedBits = bits.Select((b, i) => pinned[i].FixedBits ?? b).ToArray();
        Assert.True(new CostModel(pinned, network.Fixed(SearchMode.Ptq), 8).SizeMiB(pinnedBits) > size + 0.05);
    }
}
