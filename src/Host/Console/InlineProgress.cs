namespace Ompq.Host;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, at once (System.Progress posts to
/// the thread pool, so lines could arrive after the work they describe, or interleave).
/// </summary>
public sealed class InlineProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
