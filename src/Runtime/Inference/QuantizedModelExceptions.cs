namespace Ompq.Runtime.Inference;

/// <summary>A model file that cannot be used: not a quantized-model file, corrupted, or inconsistent. The message names the file and the field.</summary>
public class ModelFileException : InvalidInputException
{
    public ModelFileException(string message) : base(message) { }
    public ModelFileException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A quantized-model file written by a newer format version than this build reads.</summary>
public sealed class ModelVersionException(string message) : ModelFileException(message);

/// <summary>A Predict call's input does not fit the model (shape, size, non-finite pixels); the model stays usable.</summary>
public sealed class PredictInputException(string message) : InvalidInputException(message);

/// <summary>A graph that integer inference cannot run (an op, layout or missing quantization it does not support).</summary>
public sealed class UnsupportedModelException(string message) : InvalidInputException(message);
