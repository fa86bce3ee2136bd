namespace Ompq.Runtime;

/// <summary>
/// Input the user supplied is wrong (missing or corrupt file, mismatched tensor, impossible budget, unknown device).
/// The message is one line that names what was wrong and what was expected; the CLI prints it without a stack
/// trace and exits with code 2.
/// </summary>
public class InvalidInputException : Exception
{
    public InvalidInputException(string message) : base(message) { }
    public InvalidInputException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// The name of the <see cref="Io.ResourceLimits"/> limit the input passed, when that is what was wrong; a caller can
    /// then say how to raise it.
    /// </summary>
    public string? ResourceLimit { get; init; }
}
