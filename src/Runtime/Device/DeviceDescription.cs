namespace Ompq.Runtime.Device;

/// <summary>One backend as <c>ompq devices</c> lists it: whether it can run here and, when not, why.</summary>
public sealed record DeviceDescription(
    string Id,
    string Name,
    long MemoryBytes,
    int ComputeUnits,
    bool Available,
    string? Reason);
