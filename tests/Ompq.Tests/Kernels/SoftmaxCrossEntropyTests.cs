using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// Softmax cross-entropy against torch cross_entropy: per-sample losses (reduction none) and the gradient of the
/// batch mean (autograd). Logits carry a per-row offset up to ±60, which overflows exp without the max shift.
/// Tolerances: losses 1e-5 relative to |loss| + 1; dlogits 1e-5 relative to |dlogit| (+1/batch at the label).
/// </summary>
public abstract class SoftmaxCrossEntropyTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("softmax-ce", caseIndex);
        int batch = RandomData.Size(rng, Limits.MaxChannels * 4);
        int classes = RandomData.Size(rng, Limits.MaxLength / 20);
        var logits = RandomData.Uniform(rng, (long)batch * classes, -8f, 8f);
        var labels = new float[batch];
        var labelIndices = new long[batch];
        for (int row = 0; row < batch; row++)
        {
            float offset = rng.Next(3) == 0 ? RandomData.Uniform(rng, 1, -60f, 60f)[0] : 0f;
            for (int k = 0; k < classes; k++) logits[(long)row * classes + k] += offset;
            labelIndices[row] = rng.Next(classes);
            labels[row] = labelIndices[row];
        }

        using var dLogits = Upload(logits);
        using var dLabels = Upload(labels);
        using var dLosses = Backend.Allocate(batch);
        using var dGradient = Backend.Allocate((long)batch * classes);
        Backend.SoftmaxCrossEntropy(batch, classes, dLogits, dLabels, dLosses, dGradient);
        var losses = Download(dLosses);
        var gradient = Download(dGradient);

        using var scope = torch.NewDisposeScope();
        var tl = From(logits, batch, classes).requires_grad_();
        var target = torch.tensor(labelIndices, [batch]);
        var expectedLosses = Values(torch.nn.functional.cross_entropy(tl.detach(), target, reduction: torch.nn.Reduction.None));
        torch.nn.functional.cross_entropy(tl, target).backward();
        var expectedGradient = Values(tl.grad!);

        var context = $"softmax cross-entropy batch={batch} classes={classes}";
        Close.Assert(expectedLosses, losses, 1e-5f, 1e-5f, $"{context} losses", expectedLosses.Select(v => Math.Abs(v) + 1f).ToArray());
        var magnitude = new float[expectedGradient.Length];
        for (long i = 0; i < magnitude.Length; i++)
            magnitude[i] = Math.Abs(expectedGradient[i]) + (labelIndices[i / classes] == i % classes ? 1f / batch : 0f);
        Close.Assert(expectedGradient, gradient, 1e-5f, 1e-12f, $"{context} dlogits", magnitude);
    }
}
