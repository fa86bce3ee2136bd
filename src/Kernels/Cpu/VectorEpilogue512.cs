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

/// <summary>A kernel's work over a range of (image, channel) planes, compiled once per epilogue type.</summary>
internal interface IPlaneRange512
{
    void Run<TStore>(long start, long end, TStore store) where TStore : struct, IVectorEpilogue512;
}

/// <summary>
/// Picks the epilogue type for a range of planes: plain activations as their own structs (no per-vector field tests),
/// anything with a fused fake quant through <see cref="VectorEpilogue512"/>.
/// </summary>
internal static class PlaneEpilogue512
{
    public static void Run<TPlanes>(in TPlanes planes, Epilogue epilogue, VectorEpilogue512 store, long start, long end)
        where TPlanes : struct, IPlaneRange512
    {
        if (epilogue.OutputQuant is not null) planes.Run(start, end, store);
        else if (epilogue.Activation == Activation.Relu6) planes.Run(start, end, new Relu6Epilogue512());
        else if (epilogue.Activation == Activation.Relu) planes.Run(start, end, new ReluEpilogue512());
        else planes.Run(start, end, new NoEpilogue512());
    }
}
