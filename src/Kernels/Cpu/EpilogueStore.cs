using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Ompq.Kernels.Cpu;

/// <summary>Applies bias, activation and optional per-tensor fake quant to a contiguous run of outputs in place (scalar on the portable path).</summary>
internal static unsafe class EpilogueStore
{
    public static bool IsIdentity(Epilogue epilogue) => epilogue.Activation == Activation.None && epilogue.OutputQuant is null;

    /// <summary>y[i] = quant(act(y[i] + bias)) for i in [0, length).</summary>
    public static void Apply(float* y, long length, float bias, Epilogue epilogue, CpuIsa isa)
    {
        bool simd = isa.HasAvx2();
        var activation = epilogue.Activation;
        var b = Vector256.Create(bias);
        long i = 0;
        if (epilogue.OutputQuant is { } quant)
        {
            var grid = new FakeQuant.Grid(quant);
            for (; simd && i + 8 <= length; i += 8)
                Avx.Store(y + i, grid.Apply(Activations.Apply(activation, Avx.LoadVector256(y + i) + b)));
            for (; i < length; i++) y[i] = grid.Apply(Activations.Apply(activation, y[i] + bias));
            return;
        }
        if (activation == Activation.None && bias == 0f) return;
        for (; simd && i + 8 <= length; i += 8)
            Avx.Store(y + i, Activations.Apply(activation, Avx.LoadVector256(y + i) + b));
        for (; i < length; i++) y[i] = Activations.Apply(activation, y[i] + bias);
    }
}

/// <summary>Activation then optional per-tensor fake quant on registers, for kernels that fuse the epilogue into their stores.</summary>
internal readonly struct VectorEpilogue
{
    private readonly Activation activation;
    private readonly bool quantize;
    private readonly FakeQuant.Grid grid;

    public VectorEpilogue(Epilogue epilogue)
    {
        activation = epilogue.Activation;
        quantize = epilogue.OutputQuant is not null;
        grid = quantize ? new FakeQuant.Grid(epilogue.OutputQuant!.Value) : default;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> v)
    {
        v = Activations.Apply(activation, v);
        return quantize ? grid.Apply(v) : v;
    }
}
