namespace Ompq.Host.Data;

/// <summary>A batch of normalised images, N×C×H×W on the host, and a sentence saying how it was made.</summary>
public sealed record ImageBatch(float[] Pixels, int Count, int Channels, int Height, int Width, string Description)
{
    /// <summary>Rejects non-finite values so a bad file fails here and not as a puzzling ORM error.</summary>
    public void RequireFinite(string source)
    {
        long perImage = (long)Channels * Height * Width;
        for (long i = 0; i < Pixels.Length; i++)
            if (!float.IsFinite(Pixels[i]))
                throw new Runtime.InvalidInputException(
                    $"{source}: image {i / perImage} contains a non-finite value ({Pixels[i]}); expected finite pixel values");
    }
}
