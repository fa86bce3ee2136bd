using ILGPU.Runtime.Cuda;

namespace Ompq.Kernels.Ilgpu;

/// <summary>
/// cuBLAS sgemm on the buffers of a CUDA <see cref="IlgpuKernels"/>, as a speed reference for the tiled GEMM
/// (not used by the backend itself). cuBLAS is column-major: the row-major C = op(A)·op(B) is computed as
/// Cᵀ = op(B)ᵀ·op(A)ᵀ, which needs no copies. Default math mode, so fp32 without TF32 tensor cores.
/// </summary>
public sealed class CuBlasGemm : IDisposable
{
    private readonly IlgpuKernels _kernels;
    private readonly CuBlas _blas;

    private CuBlasGemm(IlgpuKernels kernels, CuBlas blas)
    {
        _kernels = kernels;
        _blas = blas;
    }

    /// <summary>Opens cuBLAS for a CUDA backend; null with a one-line reason when the library cannot be loaded.</summary>
    public static CuBlasGemm? TryCreate(IlgpuKernels kernels, out string? reason)
    {
        reason = null;
        if (kernels.Accelerator is not CudaAccelerator cuda)
        {
            reason = $"cuBLAS needs a CUDA backend, not {kernels.Info.Id}";
            return null;
        }
        try
        {
            var blas = new CuBlas(cuda) { PointerMode = CuBlasPointerMode.Host, Stream = (CudaStream)cuda.DefaultStream };
            return new CuBlasGemm(kernels, blas);
        }
        catch (Exception e)
        {
            reason = $"{e.GetType().Name}: {IlgpuDeviceProbe.FirstLine(e.Message)}";
            return null;
        }
    }

    public void Gemm(in GemmShape shape, BufferSlice a, BufferSlice b, BufferSlice c)
    {
        shape.Validate();
        a.Require(shape.ASize, "a");
        b.Require(shape.BSize, "b");
        c.Require(shape.CSize, "c");
        var opB = shape.TransB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        var opA = shape.TransA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose;
        int ldb = shape.TransB ? shape.K : shape.N;
        int lda = shape.TransA ? shape.M : shape.K;
        _blas.Gemm(opB, opA, shape.N, shape.M, shape.K, shape.Alpha,
            _kernels.View(b, "b"), ldb, _kernels.View(a, "a"), lda, shape.Beta, _kernels.View(c, "c"), shape.N);
    }

    public void Dispose() => _blas.Dispose();
}
