using Ompq.Kernels;
using Ompq.Runtime.Nn;
using Ompq.Runtime.Nn.Graph;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Quantization.Ptq;

/// <summary>
/// One value of the network for every calibration image, in host memory (N × per-image elements): what flows from
/// block to block. A block's input is uploaded a chunk or a batch at a time, so device memory stays that of one batch.
/// </summary>
internal sealed class HostActivations
{
    public HostActivations(int count, int[] shape)
    {
        Count = count;
        Shape = shape;
        long perImage = HostTensor.ElementCount(shape);
        if (perImage * count > Array.MaxLength)
            throw new InvalidInputException(
                $"{count} calibration images of a {HostTensor.FormatShape(shape)} activation are {perImage * count} values, more than one host array holds; calibrate on fewer images");
        PerImage = (int)perImage;
        Data = new float[perImage * count];
    }

    public HostActivations(float[] data, int count, int[] shape) : this(0, shape)
    {
        Count = count;
        Data = data;
        if (data.LongLength != (long)count * PerImage) throw new ArgumentException($"{data.LongLength} values are not {count} × {PerImage}");
    }

    public int Count { get; }
    public int[] Shape { get; }
    public int PerImage { get; }
    public float[] Data { get; }

    public Span<float> Images(int start, int n) => Data.AsSpan(start * PerImage, n * PerImage);

    /// <summary>The N×(shape) tensor shape of <paramref name="n"/> images, as a block model reads them (a vector as F×1×1).</summary>
    public int[] BatchShape(int n) => Shape.Length == 1 ? new[] { n, Shape[0], 1, 1 } : new[] { n }.Concat(Shape).ToArray();

    /// <summary>Runs <paramref name="model"/>'s inference path over every image, in chunks, into a new set of its outputs.</summary>
    public HostActivations Forward(GraphModel model, IKernels kernels, int chunk)
    {
        HostActivations? result = null;
        for (int start = 0; start < Count; start += chunk)
        {
            int n = Math.Min(chunk, Count - start);
            using var input = Tensor.FromHost(kernels, Images(start, n), BatchShape(n));
            using var output = model.Forward(input, SearchMode.Qat);
            result ??= new HostActivations(Count, output.Shape[1..]);
            kernels.Download(output.Data, result.Images(start, n));
        }
        return result!;
    }

    /// <summary>Mean squared difference per element from <paramref name="other"/> (same shape).</summary>
    public double MeanSquaredError(HostActivations other)
    {
        if (other.Data.LongLength != Data.LongLength) throw new ArgumentException("activations of different sizes");
        double sum = 0;
        var a = Data;
        var b = other.Data;
        for (long i = 0; i < a.LongLength; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return sum / Data.LongLength;
    }
}
