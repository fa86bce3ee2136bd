using Ompq.Kernels;
using Ompq.Tests.Reference;
using TorchSharp;
using TorchSharp.Modules;
using static Ompq.Tests.Reference.TorchTensors;

namespace Ompq.Tests.Kernels;

/// <summary>
/// SGD and Adam/AdamW steps against torch.optim run on the same tensors for three steps with fresh gradients each
/// step, parameters compared after every step. The SGD momentum buffer starts as NaN: the first step must not read it.
/// Tolerance: 2e-6 relative to |param| + lr·(the sizes of the updates so far).
/// </summary>
public abstract class OptimizerStepTests<TFixture>(TFixture fixture) : KernelTestBase<TFixture>(fixture)
    where TFixture : BackendFixture, IBackendCases
{
    private const int Steps = 3;

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void SgdMatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("sgd", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        float momentum = RandomData.Pick(rng, 0f, 0.9f, 0.5f);
        var hyper = new SgdStep(RandomData.Pick(rng, 0.1f, 0.01f, 0.37f), momentum, RandomData.Pick(rng, 0f, 5e-4f, 0.1f),
            Nesterov: momentum > 0 && rng.Next(2) == 1);
        var param = RandomData.Uniform(rng, length, -2f, 2f);

        using var dParam = Upload(param);
        using var dGrad = Backend.Allocate(length);
        using var dBuffer = Backend.Allocate(length);
        Backend.Fill(dBuffer, float.NaN);

        using var scope = torch.NewDisposeScope();
        var p = new Parameter(From(param, length));
        using var optimizer = torch.optim.SGD([p], hyper.Lr, hyper.Momentum, weight_decay: hyper.WeightDecay, nesterov: hyper.Nesterov);
        float updateScale = 0;
        for (int step = 1; step <= Steps; step++)
        {
            var grad = RandomData.Uniform(rng, length);
            Backend.Upload(grad, dGrad);
            Backend.SgdStep(hyper with { FirstStep = step == 1 }, dParam, dGrad, dBuffer, length);
            TorchStep(optimizer, p, grad);

            updateScale = updateScale * hyper.Momentum + 1f + 2f * hyper.WeightDecay;
            var expected = Values(p.detach());
            var magnitude = expected.Select(v => Math.Abs(v) + hyper.Lr * updateScale * step * 2).ToArray();
            Close.Assert(expected, Download(dParam), 2e-6f, 0f, $"sgd {hyper} length={length} step={step}", magnitude);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void AdamMatchesTorch(int caseIndex)
    {
        var rng = CaseRandom("adam", caseIndex);
        int length = RandomData.Size(rng, Limits.MaxLength);
        var (beta1, beta2) = RandomData.Pick(rng, (0.9f, 0.999f), (0.8f, 0.99f), (0f, 0.5f));
        var hyper = new AdamStep(RandomData.Pick(rng, 1e-3f, 1e-2f, 0.1f), 1, beta1, beta2, RandomData.Pick(rng, 1e-8f, 1e-6f, 1e-3f),
            RandomData.Pick(rng, 0f, 1e-2f, 0.3f), Decoupled: rng.Next(2) == 1);
        var param = RandomData.Uniform(rng, length, -2f, 2f);

        using var dParam = Upload(param);
        using var dGrad = Backend.Allocate(length);
        using var dm = Upload(new float[length]);
        using var dv = Upload(new float[length]);

        using var scope = torch.NewDisposeScope();
        var p = new Parameter(From(param, length));
        using torch.optim.Optimizer optimizer = hyper.Decoupled
            ? torch.optim.AdamW([p], hyper.Lr, hyper.Beta1, hyper.Beta2, hyper.Eps, hyper.WeightDecay)
            : torch.optim.Adam([p], hyper.Lr, hyper.Beta1, hyper.Beta2, hyper.Eps, hyper.WeightDecay);
        for (int step = 1; step <= Steps; step++)
        {
            var grad = RandomData.Uniform(rng, length);
            Backend.Upload(grad, dGrad);
            Backend.AdamStep(hyper with { Step = step }, dParam, dGrad, dm, dv, length);
            TorchStep(optimizer, p, grad);

            // |m̂/(√v̂ + eps)| stays below a few units for these betas.
            var expected = Values(p.detach());
            var magnitude = expected.Select(v => Math.Abs(v) + hyper.Lr * 4 * step).ToArray();
            Close.Assert(expected, Download(dParam), 2e-6f, 0f, $"adam {hyper} length={length} step={step}", magnitude);
        }
    }

    /// <summary>Sets p.grad to exactly <paramref name="grad"/> (the gradient of Σ p·g) and steps the torch optimizer.</summary>
    private static void TorchStep(torch.optim.Optimizer optimizer, Parameter p, float[] grad)
    {
        optimizer.zero_grad();
        using (var loss = (p * From(grad, grad.Length)).sum()) loss.backward();
        optimizer.step();
    }
}
