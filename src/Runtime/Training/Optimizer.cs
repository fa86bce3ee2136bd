using Ompq.Kernels;

namespace Ompq.Runtime.Training;

/// <summary>Optimizer kinds the trainer accepts by name.</summary>
public enum OptimizerKind
{
    Sgd,
    Adam,
    AdamW,
}

/// <summary>
/// Updates every trainable device parameter from its gradient in one fused kernel per tensor, in the parameters'
/// fixed order. State (momentum, Adam moments) lives in the parameters' device slots; <see cref="Steps"/> counts
/// updates so a resumed run continues exactly (first-step momentum rule, Adam's bias correction).
/// </summary>
public sealed class Optimizer
{
    public Optimizer(OptimizerKind kind, float momentum = 0.9f, float weightDecay = 0f, bool nesterov = false,
        float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f)
    {
        Kind = kind;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        if (kind == OptimizerKind.Sgd) new SgdStep(0f, momentum, weightDecay, nesterov).Validate();
        else new AdamStep(0f, 1, beta1, beta2, eps, weightDecay).Validate();
    }

    public OptimizerKind Kind { get; }
    public float Momentum { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Eps { get; }

    /// <summary>Updates done so far (restored from a checkpoint on resume).</summary>
    public long Steps { get; set; }

    /// <summary>Device slots per trainable parameter: 1 for SGD with momentum, 2 for Adam(W), 0 otherwise.</summary>
    public int SlotCount => Kind == OptimizerKind.Sgd ? (Momentum > 0 ? 1 : 0) : 2;

    /// <summary>Names of the slots in checkpoints.</summary>
    public IReadOnlyList<string> SlotNames => Kind == OptimizerKind.Sgd ? (Momentum > 0 ? new[] { "momentum" } : Array.Empty<string>()) : new[] { "m", "v" };

    /// <summary>Allocates (zeroed) slots where missing; called before the first step and before a checkpoint's state is loaded.</summary>
    public void EnsureSlots(DeviceParameters parameters)
    {
        var k = parameters.Kernels;
        foreach (var p in parameters.Trainable)
        {
            if (p.Slots.Length == SlotCount) continue;
            foreach (var old in p.Slots) old.Dispose();
            var slots = new DeviceBuffer[SlotCount];
            for (int s = 0; s < SlotCount; s++)
            {
                slots[s] = k.Allocate(p.Length);
                k.Fill(slots[s], 0f);
            }
            p.Slots = slots;
        }
    }

    public void Step(DeviceParameters parameters, float lr)
    {
        EnsureSlots(parameters);
        var k = parameters.Kernels;
        foreach (var p in parameters.Trainable)
        {
            if (Kind == OptimizerKind.Sgd)
            {
                var step = new SgdStep(lr, Momentum, WeightDecay, Nesterov, FirstStep: Steps == 0);
                k.SgdStep(step, p.Value, p.Gradient!, SlotCount > 0 ? p.Slots[0] : p.Gradient!, p.Length);
            }
            else
            {
                var step = new AdamStep(lr, checked((int)(Steps + 1)), Beta1, Beta2, Eps, WeightDecay, Decoupled: Kind == OptimizerKind.AdamW);
                k.AdamStep(step, p.Value, p.Gradient!, p.Slots[0], p.Slots[1], p.Length);
            }
        }
        Steps++;
    }
}
