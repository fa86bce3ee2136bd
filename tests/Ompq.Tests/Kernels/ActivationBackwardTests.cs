using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Activation gradients against torch autograd through relu/relu6, given the forward's output. Inputs include exact
/// 0 and 6 (where torch passes nothing); out of place and in place (dx = dy); exact.
/// </summary>
public abstract class ActivationBackwardTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchAutograd(int caseIndex)
    {
        var rng = CaseRandom("activation-backward", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        var activation = (Activation)(caseIndex % 3);
        bool inPlace = rng.Next(2) == 1;
        var x = RandomData.Uniform(rng, length, -10f, 10f);
        for (int i = 0; i < length; i += 7) x[i] = RandomData.Pick(rng, 0f, -0f, 6f);
        var gradient = RandomData.Uniform(rng, length);

        using var scope = torch.NewDisposeScope();
        var tx = From(x, length).requires_grad_();
        var ty = TorchActivation.Apply(activation, tx);
        ty.backward([From(gradient, length)]);
        var y = Values(ty.detach());

        using var dy = Upload(y);
        using var dGradient = Upload(gradient);
        using var dx = inPlace ? null : Backend.Allocate(length);
        var target = dx ?? dGradient;
        Backend.ActivateBackward(activation, dy, dGradient, target, length);
        Close.Exact(Values(tx.grad!), Download(target), $"{activation} backward length={length} inPlace={inPlace}");
    }
}
