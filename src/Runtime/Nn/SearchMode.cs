namespace Ompq.Runtime.Nn;

/// <summary>Which quantization units OMPQ measures (spec §2): QAT = blocks' inner convs and outputs; PTQ adds stem and classifier.</summary>
public enum SearchMode
{
    Qat,
    Ptq,
}
