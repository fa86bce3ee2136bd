using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Io;

/// <summary>One tensor of a state dict as read from a file, converted to fp32; <paramref name="SourceType"/> is the stored element type.</summary>
public sealed record StateEntry(string Name, HostTensor Tensor, string SourceType);
