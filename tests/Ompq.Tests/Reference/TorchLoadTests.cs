using TorchSharp;

namespace Ompq.Tests.Reference;

/// <summary>The reference must load: a broken libtorch load would otherwise make every reference test fail obscurely.</summary>
public sealed class TorchLoadTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var c = torch.matmul(a, b);
        Assert.Equal(3f, c[1, 2].item<float>());
    }
}
