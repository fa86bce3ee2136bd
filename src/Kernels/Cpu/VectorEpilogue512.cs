using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Ompq.Kernels.Cpu;

/// <summary>
/// The 512-bit kernels' form of <see cref="VectorEpilogue"/>: activation, then the output fake quant, on a finished
/// output vector before its single store. Bias is the caller's (it starts the accumulator).
/// </summary>
internal readonly struct VectorEpilogue512 : IVectorEpilogue512
{
    private readonly Activation activation;
    private readonly bool quantize;
    private readonly FakeQuant.Grid512 grid;

    public VectorEpilogue512(Epilogue epilogue)
    {
        activation = epilogue.Activation;
        quantize = epilogue.OutputQuant is not null;
        grid = quantize ? new FakeQuant.Grid512(epilogue.OutputQuant!.Value) : default;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v)
    {
        v = Activations.Apply(activation, v);
        return quantize ? grid.Apply(v) : v;
    }
}

/// <summary>
/// An epilogue as a type argument: kernels generic over it get one compiled loop per epilogue, without the per-vector
/// tests of <see cref="VectorEpilogue512"/>'s fields (a small share of a 7×7 plane's few instructions, but a share).
/// </summary>
internal interface IVectorEpilogue512
{
    Vector512<float> Apply(Vector512<float> v);
}

internal readonly struct NoEpilogue512 : IVectorEpilogue512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v) => v;
}

internal readonly struct ReluEpilogue512 : IVectorEpilogue512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v) => Activations.Apply(Activation.Relu, v);
}

internal readonly struct Relu6Epilogue512 : IVectorEpilogue512
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v) => Activations.Apply(Activation.Relu6, v);
}
