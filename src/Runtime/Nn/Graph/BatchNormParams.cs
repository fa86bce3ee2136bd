namespace Ompq.Runtime.Nn.Graph;

/// <summary>Names of a batch-norm's parameters in the <see cref="ParameterStore"/> and its epsilon.</summary>
public sealed record BatchNormParams(string Gamma, string Beta, string RunningMean, string RunningVar, float Eps)
{
    /// <summary>PyTorch BatchNorm2d names under a module prefix: weight, bias, running_mean, running_var.</summary>
    public static BatchNormParams Torch(string prefix, float eps = 1e-5f)
        => new($"{prefix}.weight", $"{prefix}.bias", $"{prefix}.running_mean", $"{prefix}.running_var", eps);

    public IEnumerable<string> Names => new[] { Gamma, Beta, RunningMean, RunningVar };
}
