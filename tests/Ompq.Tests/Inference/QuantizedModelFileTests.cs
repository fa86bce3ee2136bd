using System.Text;
using Ompq.Runtime.Export;
using Ompq.Runtime.Inference;

namespace Ompq.Tests.Inference;

/// <summary>The exported file round-trips exactly; foreign, corrupted and newer-version files are refused with typed exceptions.</summary>
public sealed class QuantizedModelFileTests
{
    [Fact]
    public void ExportRoundTripsExactlyAtEveryWidthWithOddChannels()
    {
        for (int first = 2; first <= 8; first++)
        {
            var network = OddNetwork.Create(first, i => 2 + (first + i) % 7);
            var bytes = QuantizedModelFile.ToBytes(network);
            var read = QuantizedModelFile.Parse(bytes, "odd.safetensors");
            Assert.Equal(network.Name, read.Name);
            Assert.Equal(network.InputShape, read.InputShape);
            Assert.Equal(GraphDescription.Write(network.Graph), GraphDescription.Write(read.Graph));
            Assert.Equal(network.Layers.Keys.Order(), read.Layers.Keys.Order());
            foreach (var (name, layer) in network.Layers)
            {
                var other = read.Layers[name];
                Assert.Equal(layer.WeightBits, other.WeightBits);
                Assert.Equal(layer.WeightShape, other.WeightShape);
                Assert.Equal(layer.Codes, other.Codes);
                Assert.Equal(layer.Scales, other.Scales);
                Assert.Equal(layer.Bias, other.Bias);
                Assert.Equal(layer.Input, other.Input);
            }
            Assert.Equal(bytes, QuantizedModelFile.ToBytes(read));
        }
    }

    [Fact]
    public void PackedWeightsTakeTheirOwnWidth()
    {
        var network = TestNetworks.Resnet20(seed: 1, bits: _ => 4);
        var bytes = QuantizedModelFile.ToBytes(network);
        long weights = network.Layers.Values.Sum(l => l.Codes.LongLength);
        // 4-bit codes: half a byte each, plus scales, zero points, biases and the header.
        Assert.True(bytes.Length < weights / 2 + 200_000, $"{bytes.Length} bytes for {weights} 4-bit weights");
    }

    [Fact]
    public void ANewerFormatVersionIsRefusedByType()
    {
        var bytes = Rewrite(QuantizedModelFile.ToBytes(OddNetwork.Create(1, _ => 8)), "\"format_version\":\"1\"", "\"format_version\":\"9\"");
        var e = Assert.Throws<ModelVersionException>(() => QuantizedModelFile.Parse(bytes, "new.safetensors"));
        Assert.Contains("version 9", e.Message);
    }

    [Fact]
    public void AForeignSafetensorsFileIsRefused()
    {
        var bytes = Rewrite(QuantizedModelFile.ToBytes(OddNetwork.Create(1, _ => 8)), "ompq-quantized-model", "ompq-checkpoint-xxxx");
        Assert.Throws<ModelFileException>(() => QuantizedModelFile.Parse(bytes, "foreign.safetensors"));
        Assert.Throws<ModelFileException>(() => QuantizedModelFile.Parse(Encoding.UTF8.GetBytes("not a model at all"), "text.safetensors"));
    }

    [Fact]
    public void TruncatedOrFlippedFilesAreRefused()
    {
        var bytes = QuantizedModelFile.ToBytes(OddNetwork.Create(1, _ => 5));
        for (int cut = 0; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 37))
            Assert.ThrowsAny<ModelFileException>(() => QuantizedModelFile.Parse(bytes.AsSpan(0, cut), "cut.safetensors"));
        var rng = new Random(5);
        int headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        for (int trial = 0; trial < 200; trial++)
        {
            var copy = (byte[])bytes.Clone();
            copy[8 + rng.Next(headerLength)] ^= (byte)(1 << rng.Next(8));
            try
            {
                // A flip that survives the file checks must still give a runnable model or a typed refusal.
                using var model = QuantizedModel.Create(QuantizedModelFile.Parse(copy, "flipped.safetensors"));
                model.Predict(new float[model.ImageSize]);
            }
            catch (Ompq.Runtime.InvalidInputException) { }
        }
    }

    private static byte[] Rewrite(byte[] bytes, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var text = Encoding.Latin1.GetString(bytes);
        Assert.Contains(from, text);
        return Encoding.Latin1.GetBytes(text.Replace(from, to));
    }
}
