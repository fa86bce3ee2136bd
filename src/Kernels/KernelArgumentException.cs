namespace Ompq.Kernels;

/// <summary>An op was called with shapes or buffers that do not fit together; the message names what and why.</summary>
public sealed class KernelArgumentException(string message) : ArgumentException(message);
