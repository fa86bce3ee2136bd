using Ompq.Runtime;

namespace Ompq.Host.Data;

/// <summary>How images are normalised before they reach the network (--preprocess). Chosen explicitly, never implied by the model's file format.</summary>
public enum Preprocessing
{
    /// <summary>3-channel models: ImageNet mean/std on RGB in [0,1] (torchvision's convention); grey models: the dataset's own mean/std. Default.</summary>
    Imagenet,
    /// <summary>The CNTK ResNet-18 ONNX export's convention (<see cref="Normalization.CntkBgr"/>); 3-channel models only.</summary>
    CntkBgr,
    /// <summary>Pixels in [0, 1], not normalised.</summary>
    None,
}

public static class PreprocessingOption
{
    /// <param name="gray">The dataset's normalisation for 1-channel images (used by <see cref="Preprocessing.Imagenet"/>).</param>
    public static Normalization For(Preprocessing p, int channels, Normalization gray) => (p, channels) switch
    {
        (Preprocessing.None, _) => Normalization.None,
        (Preprocessing.Imagenet, 3) => Normalization.ImageNet,
        (Preprocessing.CntkBgr, 3) => Normalization.CntkBgr,
        (Preprocessing.Imagenet, _) => gray,
        _ => throw new InvalidInputException($"--preprocess {Options.EnumSpelling.Of(p)} needs a 3-channel model, this one takes {channels} channel(s); expected imagenet or none"),
    };
}
