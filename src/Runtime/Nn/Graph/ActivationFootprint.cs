using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Nn.Graph;

/// <summary>
/// How much activation memory an inference forward of a <see cref="ModelGraph"/> leaves in its <see cref="BufferPool"/>,
/// found without running it: the forward is replayed on buffer lengths alone under the executor's rules (views share
/// their input's buffer, an in-place node writes over an operand read for the last time, a buffer returns to the pool
/// after its last reader, <see cref="BufferPool.BestFit"/> picks a free buffer). Every length is the batch size times a
/// per-image length and every choice compares lengths, so the result is exactly proportional to the batch size.
/// GraphExecutorFootprintTests holds the replay to the real pool.
/// </summary>
public static class ActivationFootprint
{
    /// <summary>Floats the pool holds after one forward of a one-image batch (multiply by the batch size).</summary>
    public static long PooledFloatsPerImage(ModelGraph graph, int[][] perImageShapes)
    {
        int valueCount = graph.ValueCount;
        int[] consumers = graph.ConsumerCounts();
        consumers[graph.OutputId]++;
        var storageOf = new int[valueCount];
        var owned = new long?[valueCount];   // length of the pooled buffer a storage root owns
        var remaining = new int[valueCount];
        var free = new List<long>();
        long pooled = 0;
        remaining[0] = consumers[0];

        void Release(int root)
        {
            if (remaining[root] <= 0) return;
            if (--remaining[root] == 0 && owned[root] is { } length)
            {
                owned[root] = null;
                free.Add(length);
            }
        }

        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            int outId = i + 1;
            int[] inputIds = graph.InputIds[i];
            long size = HostTensor.ElementCount(perImageShapes[outId]);
            if (node.IsView)
            {
                int root = storageOf[inputIds[0]];
                storageOf[outId] = root;
                remaining[root] += consumers[outId];
            }
            else
            {
                int firstRoot = storageOf[inputIds[0]];
                bool inPlace = node.CanRunInPlace && owned[firstRoot] is { } reusable && remaining[firstRoot] == 1
                    && HostTensor.ElementCount(perImageShapes[inputIds[0]]) == size && reusable >= size
                    && !inputIds.Skip(1).Any(id => storageOf[id] == firstRoot);
                if (inPlace)
                {
                    owned[outId] = owned[firstRoot];
                    owned[firstRoot] = null;
                    remaining[firstRoot] = 0;
                }
                else
                {
                    int best = BufferPool.BestFit(free, size);
                    if (best >= 0)
                    {
                        owned[outId] = free[best];
                        free.RemoveAt(best);
                    }
                    else
                    {
                        owned[outId] = size;
                        pooled += size;
                    }
                }
                storageOf[outId] = outId;
                remaining[outId] = consumers[outId];
            }
            foreach (int id in inputIds) Release(storageOf[id]);
        }
        return pooled;
    }

    /// <summary>Floats of every value of one image: what a forward that keeps all activations (training, batch-norm on batch statistics) may hold.</summary>
    public static long AllValueFloatsPerImage(int[][] perImageShapes) => perImageShapes.Sum(s => HostTensor.ElementCount(s));
}
