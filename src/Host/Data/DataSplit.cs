namespace Ompq.Host.Data;

/// <summary>Which part of a labelled dataset to read: the images trained on, or the held-out images evaluated on.</summary>
public enum DataSplit
{
    Train,
    Test,
}
