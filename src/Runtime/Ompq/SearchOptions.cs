using Ompq.Runtime.Nn;

namespace Ompq.Runtime.Search;

/// <summary>What one OMPQ search is asked to do. BitOps budget null = size constraint only.</summary>
public sealed record SearchOptions(
    SearchMode Mode,
    double SizeBudgetMiB,
    double Beta,
    BitRange Bits,
    double? BitOpsBudgetG = null,
    CoefficientRule Coefficients = CoefficientRule.SuffixMean,
    int ActivationBits = 8,
    OrmForm Form = OrmForm.Auto,
    BatchNormMode BatchNorm = BatchNormMode.Eval,
    SizeAccounting Accounting = SizeAccounting.Pinned)
{
    /// <summary>
    /// β per model and mode. The reference scripts give ResNet-18 QAT 10, ResNet-50 QAT 3.3, ResNet-18 PTQ 100 and
    /// MobileNetV2 PTQ ≈ 0 (taken as 0: all θ = 1). The others have no reference value and follow their family:
    /// resnet20 as ResNet-18, ResNet-50 PTQ as ResNet-50 QAT, MobileNetV2 QAT as its PTQ value.
    /// </summary>
    /// <param name="model">A model name in any spelling the zoo or the CLI accepts (mobilenet_v2, mobilenetv2, MobileNet-V2, …).</param>
    public static double DefaultBeta(string model, SearchMode mode) => (ModelZoo.TryResolve(model, out string name) ? name : model, mode) switch
    {
        ("resnet18" or "resnet20", SearchMode.Qat) => 10.0,
        ("resnet18" or "resnet20", SearchMode.Ptq) => 100.0,
        ("resnet50", _) => 3.3,
        ("mobilenet_v2", _) => 0.0,
        _ => 10.0,
    };
}
