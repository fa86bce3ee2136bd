using Ompq.Kernels;

namespace Ompq.Runtime.Inference;

/// <summary>How a <see cref="QuantizedModel"/> runs.</summary>
public sealed record QuantizedModelOptions
{
    /// <summary>"cpu": the integer kernels (the only backend they have; GPUs run the fake-quant graph instead).</summary>
    public string Backend { get; init; } = "cpu";

    /// <summary>Integer kernel path; null = the best this CPU runs, or what OMPQ_INT_ISA pins.</summary>
    public IntegerIsa? Isa { get; init; }

    /// <summary>Workers per Predict call. 1 (default) suits a service with concurrent requests and never allocates per call; more lowers one large call's latency.</summary>
    public int Threads { get; init; } = 1;
}

/// <summary>One class of a top-k answer.</summary>
public readonly record struct Prediction(int Class, float Logit);
