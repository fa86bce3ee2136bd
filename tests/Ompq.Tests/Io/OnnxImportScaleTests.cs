using System.Diagnostics;
using Ompq.Runtime.Io.Onnx;

namespace Ompq.Tests.Io;

/// <summary>
/// ONNX import is linear in the node count (each value's readers are indexed once): a 100k-node chain imports in
/// seconds where a scan per fused node took minutes. Only completion is asserted; the time is printed.
/// </summary>
public sealed class OnnxImportScaleTests
{
    [Fact(Timeout = 120_000)]
    public async Task HundredThousandNodeChainImports()
    {
        const int chain = 100_000;
        var g = new OnnxGraphBuilder(seed: 5);
        g.Input("x", 1, 2, 4, 4);
        g.Node("Conv", "conv", ["x", g.Random("w", [2, 2, 1, 1], -0.5f, 0.5f)], ["v0"]);
        // Every batch-norm shares one set of statistics: the file stays a few MB while the graph has 100k nodes.
        string[] statistics = [g.Initializer("g", [2], [1f, 1f]), g.Initializer("b", [2], [0f, 0f]), g.Initializer("m", [2], [0f, 0f]), g.Initializer("v", [2], [1f, 1f])];
        for (int i = 0; i < chain; i++) g.Node("BatchNormalization", $"bn{i}", [$"v{i}", .. statistics], [$"v{i + 1}"]);
        g.Output($"v{chain}", 1, 2, 4, 4);
        string path = Path.Combine(Directory.CreateTempSubdirectory("ompq-scale-").FullName, "chain.onnx");
        File.WriteAllBytes(path, g.Build());

        var clock = Stopwatch.StartNew();
        await Task.Run(() =>
        {
            using var model = OnnxImporter.Load(path);
            Assert.Equal(chain + 1, model.Graph.Nodes.Count + 1); // the first batch-norm is fused into the conv
        });
        Console.WriteLine($"imported a {chain + 1}-node ONNX chain in {clock.Elapsed.TotalSeconds:F2} s");
        File.Delete(path);
    }
}
