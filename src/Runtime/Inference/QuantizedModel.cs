using Ompq.Kernels;
using Ompq.Kernels.Cpu.Integer;
using Ompq.Runtime.Export;

namespace Ompq.Runtime.Inference;

/// <summary>
/// An exported quantized model ready to serve: integer kernels (int8 activations, packed weights, int32 sums, fused
/// requantization) on the CPU. Thread-safe: concurrent Predict calls each take a pooled workspace, so a steady stream of
/// requests allocates nothing (with <see cref="QuantizedModelOptions.Threads"/> = 1 and the span overloads). Bad input
/// throws <see cref="PredictInputException"/> and leaves the model usable; a bad file throws <see cref="ModelFileException"/>.
/// </summary>
public sealed unsafe class QuantizedModel : IDisposable
{
    private readonly IntegerPlan _plan;
    private readonly IIntegerKernels _kernels;
    private readonly Stack<IntegerWorkspace> _idle = new();
    private readonly object _gate = new();
    private bool _disposed;

    private QuantizedModel(QuantizedNetwork network, IntegerPlan plan, IIntegerKernels kernels)
    {
        Network = network;
        _plan = plan;
        _kernels = kernels;
        var output = plan.Values[plan.Output].Shape;
        OutputsPerImage = (int)plan.OutputPerImage;
        _transposeOutput = output.Length == 3 && output[1] * output[2] > 1;
        _outputShape = output;
    }

    private readonly bool _transposeOutput;
    private readonly int[] _outputShape;

    public QuantizedNetwork Network { get; }
    public string Name => Network.Name;
    public (int Channels, int Height, int Width) InputShape => Network.InputShape;
    public int ImageSize => InputShape.Channels * InputShape.Height * InputShape.Width;

    /// <summary>Outputs per image (the classes of a classifier).</summary>
    public int OutputsPerImage { get; }

    public IntegerIsa Isa => _kernels.Isa;

    /// <summary>Loads a file written by `ompq export` (<see cref="QuantizedModelFile"/>).</summary>
    public static QuantizedModel Load(string path, QuantizedModelOptions? options = null) => Create(QuantizedModelFile.Read(path), options);

    public static QuantizedModel Create(QuantizedNetwork network, QuantizedModelOptions? options = null)
    {
        options ??= new QuantizedModelOptions();
        if (!string.Equals(options.Backend, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException($"backend '{options.Backend}' has no integer kernels; quantized models run on 'cpu'");
        if (options.Threads < 1) throw new InvalidInputException($"threads must be >= 1, got {options.Threads}");
        IIntegerKernels kernels;
        try { kernels = new CpuIntegerKernels(options.Threads, options.Isa); }
        catch (KernelArgumentException e) { throw new InvalidInputException(e.Message, e); }
        IntegerPlan plan;
        try
        {
            plan = IntegerPlan.Compile(network, kernels);
        }
        catch (Exception e) when (e is KernelArgumentException or OverflowException or ArgumentException && e is not InvalidInputException)
        {
            // Shapes a hostile or inconsistent file can still hold after its own checks (a window larger than its input,
            // sums beyond int32): one typed error, as for any other unusable model.
            throw new UnsupportedModelException($"model '{network.Name}' cannot run on the integer kernels: {e.Message}");
        }
        return new QuantizedModel(network, plan, kernels);
    }

    /// <summary>Logits of a batch: <paramref name="images"/> holds N whole images (N×C×H×W floats, normalized as in training); <paramref name="logits"/> receives N×<see cref="OutputsPerImage"/>.</summary>
    public void Predict(ReadOnlySpan<float> images, Span<float> logits)
    {
        if (images.IsEmpty || images.Length % ImageSize != 0)
            throw new PredictInputException($"model '{Name}' expects N×{Shape} floats (a multiple of {ImageSize}), got {images.Length}");
        Run(images, images.Length / ImageSize, logits);
    }

    /// <summary>As <see cref="Predict(ReadOnlySpan{float}, Span{float})"/>, with the input's shape stated ([N, C, H, W] or [C, H, W]) and checked.</summary>
    public void Predict(ReadOnlySpan<float> images, ReadOnlySpan<int> shape, Span<float> logits)
    {
        var (c, h, w) = InputShape;
        bool fits = shape.Length switch
        {
            4 => shape[0] >= 1 && shape[1] == c && shape[2] == h && shape[3] == w,
            3 => shape[0] == c && shape[1] == h && shape[2] == w,
            _ => false,
        };
        if (!fits) throw new PredictInputException($"model '{Name}' expects an input of shape [N, {c}, {h}, {w}] or [{c}, {h}, {w}], got [{string.Join(", ", shape.ToArray())}]");
        long expected = (long)(shape.Length == 4 ? shape[0] : 1) * ImageSize;
        if (images.Length != expected) throw new PredictInputException($"input of shape [{string.Join(", ", shape.ToArray())}] needs {expected} floats, got {images.Length}");
        Predict(images, logits);
    }

    /// <summary>Logits of a batch in a new array (allocates; the span overload does not).</summary>
    public float[] Predict(ReadOnlySpan<float> images)
    {
        if (images.IsEmpty || images.Length % ImageSize != 0)
            throw new PredictInputException($"model '{Name}' expects N×{Shape} floats (a multiple of {ImageSize}), got {images.Length}");
        var logits = new float[images.Length / ImageSize * OutputsPerImage];
        Predict(images, logits);
        return logits;
    }

    /// <summary>The <paramref name="k"/> highest-scoring classes of one image, best first.</summary>
    public Prediction[] TopK(ReadOnlySpan<float> image, int k)
    {
        if (image.Length != ImageSize) throw new PredictInputException($"model '{Name}' expects one {Shape} image ({ImageSize} floats), got {image.Length}");
        if (k < 1 || k > OutputsPerImage) throw new PredictInputException($"k must be in 1..{OutputsPerImage}, got {k}");
        var logits = Predict(image);
        var order = new int[k];
        TopK(logits, order);
        return order.Select(c => new Prediction(c, logits[c])).ToArray();
    }

    /// <summary>Writes the indices of the classes.Length largest logits, best first (ties: lower index first). Allocates nothing.</summary>
    public static void TopK(ReadOnlySpan<float> logits, Span<int> classes)
    {
        int k = Math.Min(classes.Length, logits.Length);
        for (int r = 0; r < k; r++)
        {
            int best = -1;
            for (int i = 0; i < logits.Length; i++)
            {
                bool taken = false;
                for (int j = 0; j < r; j++) if (classes[j] == i) { taken = true; break; }
                if (!taken && (best < 0 || logits[i] > logits[best])) best = i;
            }
            classes[r] = best;
        }
    }

    private string Shape => $"{InputShape.Channels}×{InputShape.Height}×{InputShape.Width}";

    private void Run(ReadOnlySpan<float> images, int batch, Span<float> logits)
    {
        long needed = (long)batch * OutputsPerImage;
        if (logits.Length < needed) throw new PredictInputException($"logits span holds {logits.Length} floats, {batch} images need {needed}");
        for (int i = 0; i < images.Length; i++)
            if (!float.IsFinite(images[i]))
                throw new PredictInputException($"image {i / ImageSize} holds a non-finite pixel ({images[i]}) at index {i % ImageSize}");
        var workspace = Rent(batch);
        try
        {
            fixed (float* pixels = images)
            {
                workspace.BindImages(pixels, images.Length);
                foreach (var step in _plan.Steps) step.Run(_kernels, workspace, batch);
                workspace.BindImages(null, 0);
            }
            CopyOutput(workspace.Tensor(_plan.Output, batch).Floats, batch, logits);
        }
        finally
        {
            Return(workspace);
        }
    }

    private void CopyOutput(Span<float> output, int batch, Span<float> logits)
    {
        if (!_transposeOutput)
        {
            output[..(batch * OutputsPerImage)].CopyTo(logits);
            return;
        }
        int c = _outputShape[0], plane = _outputShape[1] * _outputShape[2];
        for (int n = 0; n < batch; n++)
            for (int p = 0; p < plane; p++)
                for (int ch = 0; ch < c; ch++)
                    logits[(n * c + ch) * plane + p] = output[(n * plane + p) * c + ch];
    }

    private IntegerWorkspace Rent(int batch)
    {
        IntegerWorkspace? workspace = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.Count > 0) workspace = _idle.Pop();
        }
        workspace ??= new IntegerWorkspace(_plan, _kernels);
        try
        {
            workspace.EnsureCapacity(batch);
        }
        catch (OverflowException)
        {
            Return(workspace);
            throw new PredictInputException($"a batch of {batch} images needs more memory than 64-bit sizes hold; use smaller batches");
        }
        catch
        {
            Return(workspace);
            throw;
        }
        return workspace;
    }

    private void Return(IntegerWorkspace workspace)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _idle.Push(workspace);
                return;
            }
        }
        workspace.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            while (_idle.Count > 0) _idle.Pop().Dispose();
        }
    }
}
