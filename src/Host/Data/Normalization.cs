namespace Ompq.Host.Data;

/// <summary>Per-channel (value − mean)/std applied to pixels in [0, 1] (or whatever scale the convention uses).</summary>
public sealed record Normalization(string Name, float[] Mean, float[] Std, bool Bgr = false, float Scale = 1f)
{
    public static readonly Normalization ImageNet = new("ImageNet mean/std on RGB in [0,1]", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>
    /// The CNTK-exported ResNet-18 (ML.NET's DNN featurizer) as its publisher feeds it: BGR order, pixels 0–255, minus
    /// a mean, no scaling. ML.NET subtracts a per-pixel mean image; without that image we subtract its channel means
    /// (B 103.06, G 115.90, R 123.15), which differ from it only by how the mean varies across the picture.
    /// </summary>
    public static readonly Normalization CntkBgr = new("BGR 0-255 minus the CNTK ResNet mean image's channel means (103.06, 115.90, 123.15)",
        [103.06f, 115.90f, 123.15f], [1f, 1f, 1f], Bgr: true, Scale: 255f);

    /// <summary>Pixels as decoded, in [0, 1].</summary>
    public static readonly Normalization None = new("no normalisation (pixels in [0,1])", [0f], [1f]);

    public static readonly Normalization FashionMnist = new("Fashion-MNIST mean 0.2860 / std 0.3530", [0.2860f], [0.3530f]);
    public static readonly Normalization Mnist = new("MNIST mean 0.1307 / std 0.3081", [0.1307f], [0.3081f]);
    public static readonly Normalization Centered = new("mean 0.5 / std 0.5", [0.5f], [0.5f]);

    /// <summary>Normalises one image in place: <paramref name="image"/> is C×H×W RGB (or gray) in [0, 1].</summary>
    public void Apply(Span<float> image, int channels, int plane)
    {
        if (Bgr && channels == 3)
        {
            // Swap R and B planes.
            Span<float> r = image.Slice(0, plane), b = image.Slice(2 * plane, plane);
            for (int i = 0; i < plane; i++) (r[i], b[i]) = (b[i], r[i]);
        }
        for (int c = 0; c < channels; c++)
        {
            float mean = Mean[Math.Min(c, Mean.Length - 1)], inv = 1f / Std[Math.Min(c, Std.Length - 1)];
            Span<float> p = image.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++) p[i] = (p[i] * Scale - mean) * inv;
        }
    }
}
