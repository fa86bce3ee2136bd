using Ompq.Kernels;
using Ompq.Runtime.Tensors;

namespace Ompq.Runtime.Search;

/// <summary>
/// Builds the orthogonality matrix (linear CKA, spec §3) from unit outputs without keeping them: each output
/// X_i (n×d_i, on the device) is reduced as it arrives to what the ORM needs, and only the L×L matrix of
/// Frobenius products crosses to the host, where it is normalised in double precision.
/// Gram form (d_i ≥ n): K̃_i = centre(X̄_i·X̄_iᵀ), n×n, stacked so one FrobeniusProducts call covers all pairs.
/// X is centred before the Gram (X̄ = X minus its column means) because a float32 X·Xᵀ of features whose mean is
/// large next to their spread loses the spread to cancellation when centred afterwards; H·X·Xᵀ·H = X̄·X̄ᵀ, and the
/// centring after the Gram only removes what the float32 mean left behind.
/// Feature form (d_i &lt; n): X̄_i = X_i minus its column means, n×d_i (smaller than n×n); ⟨K̃_i,K̃_j⟩ is
/// ‖X̄_jᵀX̄_i‖²_F between two feature-form units and ⟨X̄_i, K̃_j·X̄_i⟩_F against a Gram-form unit.
/// </summary>
public sealed class OrthogonalityMatrix : IDisposable
{
    /// <summary>
    /// A centred Gram this small relative to ‖X‖²_F means the unit's output does not vary over the batch. With X
    /// centred first a constant output leaves only the rounding of its mean (≈ 1e-14 of the energy), while a real
    /// output whose mean is 1e4× its spread sits at 1e-8, so the threshold is between them.
    /// </summary>
    public const double ConstantFeatureThreshold = 1e-11;

    private readonly IKernels _k;
    private readonly IReadOnlyList<string> _names;
    private readonly OrmForm _form;
    private readonly int _n;
    private readonly int _l;
    private readonly DeviceBuffer _grams;        // gram-form units' K̃, back to back (slot order = arrival order)
    private readonly DeviceBuffer _featureNorms; // ‖X_i‖²_F per unit (the scale for the constant-feature guard)
    private readonly DeviceBuffer _ones;          // n ones, for column means and their subtraction
    private readonly int[] _gramSlot;             // slot in _grams, or -1 for feature-form units
    private readonly DeviceBuffer?[] _centred;    // feature-form units: [X̄_i | scratch of the same size]
    private readonly long[] _featureSize;
    private DeviceBuffer? _gramScratch;           // gram-form units: X̄ and its column means, reused unit to unit
    private int _gramCount;
    private DeviceBuffer?[]? _columnSums;         // chunked capture: Σ over images of each gram-form unit's rows
    private DeviceBuffer? _blockGram;             // chunked capture: the Gram of one pair of chunks

    public OrthogonalityMatrix(IKernels kernels, IReadOnlyList<string> unitNames, int batch, OrmForm form = OrmForm.Auto)
    {
        if (batch < 2) throw new InvalidInputException($"the ORM needs at least 2 images, got {batch}");
        _k = kernels;
        _names = unitNames;
        _form = form;
        _n = batch;
        _l = unitNames.Count;
        _grams = kernels.Allocate((long)_l * batch * batch);
        _featureNorms = kernels.Allocate(_l);
        _ones = kernels.Allocate(batch);
        kernels.Fill(_ones, 1f);
        _gramSlot = Enumerable.Repeat(-2, _l).ToArray();
        _centred = new DeviceBuffer?[_l];
        _featureSize = new long[_l];
    }

    public int Count => _l;

    /// <summary>The form unit i was reduced with (after <see cref="Add"/>).</summary>
    public OrmForm FormOf(int unit) => _gramSlot[unit] >= 0 ? OrmForm.Gram : OrmForm.Feature;

    /// <summary>Reduces unit i's output (first dimension = the batch) on the device. The tensor may be reused afterwards.</summary>
    public void Add(int unit, Tensor output)
    {
        if (unit < 0 || unit >= _l) throw new ArgumentOutOfRangeException(nameof(unit), $"unit {unit} outside 0..{_l - 1}");
        if (_gramSlot[unit] != -2) throw new InvalidOperationException($"unit '{_names[unit]}' was captured twice");
        if (output.Dim(0) != _n || output.Size % _n != 0)
            throw new InvalidInputException($"unit '{_names[unit]}' output has shape [{string.Join(",", output.Shape)}], expected a batch of {_n} first");
        long d = output.Size / _n;
        _featureSize[unit] = d;
        BufferSlice x = output.Data;
        _k.FrobeniusProducts(1, x.Length, x, _featureNorms.Slice(unit, 1));

        if (d > int.MaxValue) throw new InvalidInputException($"unit '{_names[unit]}' is too wide ({d}) to centre its features");
        if (!IsFeatureForm(d))
        {
            EnsureScratch(_n, d);
            BufferSlice xc = _gramScratch!.Slice(0, _n * d);
            CentreColumns(x, (int)d, xc, _gramScratch.Slice(_n * d, d));
            int slot = _gramCount++;
            BufferSlice k = _grams.Slice((long)slot * _n * _n, (long)_n * _n);
            _k.Gram(_n, d, xc, k);
            _k.CenterGram(_n, k, k);
            _gramSlot[unit] = slot;
            return;
        }

        var buffer = _k.Allocate(2 * _n * d);
        _centred[unit] = buffer; // owned from here on, so Dispose frees it even if a kernel below throws
        CentreColumns(x, (int)d, buffer.Slice(0, _n * d), buffer.Slice(_n * d, d));
        _gramSlot[unit] = -1;
    }

    /// <summary>
    /// Chunked capture, first pass: adds the rows of images [first, first + rows) of unit i. Gram-form units gather
    /// their column sums (the mean every chunk is centred with later) and ‖X‖²_F; feature-form units keep the rows.
    /// </summary>
    public void AddChunk(int unit, Tensor output, int first)
    {
        int rows = output.Dim(0);
        long d = output.Size / rows;
        if (first < 0 || first + rows > _n) throw new ArgumentOutOfRangeException(nameof(first), $"images {first}..{first + rows - 1} outside 0..{_n - 1}");
        _featureSize[unit] = d;
        _columnSums ??= new DeviceBuffer?[_l];
        using (var norm = _k.Allocate(1))
        {
            _k.FrobeniusProducts(1, output.Size, output.Data, norm);
            if (first == 0) _k.Copy(norm, _featureNorms.Slice(unit, 1));
            else _k.Axpy(1f, norm, _featureNorms.Slice(unit, 1), 1);
        }
        if (!IsFeatureForm(d))
        {
            var sums = _columnSums[unit] ??= _k.Allocate(d);
            using var ones = _k.Allocate(rows);
            _k.Fill(ones, 1f);
            _k.Gemm(new GemmShape(1, (int)d, rows, Beta: first == 0 ? 0f : 1f), ones, output.Data, sums);
            return;
        }
        var buffer = _centred[unit] ??= _k.Allocate(2 * _n * d);
        _k.Copy(output.Data, buffer.Slice(first * d, rows * d));
    }

    /// <summary>
    /// Chunked capture, second pass: unit i's output for chunk A's images followed by chunk B's (both within the
    /// batch). The rows are centred with the batch mean from the first pass and their Gram fills the blocks AA, AB,
    /// BA and BB of the unit's n×n Gram, so every pair of chunks gives every block of X̄·X̄ᵀ exactly once or more.
    /// </summary>
    public void AddChunkPair(int unit, Tensor output, (int First, int Rows) a, (int First, int Rows) b)
    {
        long d = _featureSize[unit];
        if (IsFeatureForm(d)) return; // its rows were kept in the first pass
        int p = a.Rows + b.Rows;
        if (output.Dim(0) != p) throw new ArgumentException($"expected {p} rows (two chunks), got {output.Dim(0)}", nameof(output));
        if (_gramSlot[unit] == -2) _gramSlot[unit] = _gramCount++;
        EnsureScratch(p, d);
        BufferSlice xc = _gramScratch!.Slice(0, p * d);
        using (var ones = _k.Allocate(p))
        {
            _k.Fill(ones, 1f);
            _k.Copy(output.Data, xc);
            _k.Gemm(new GemmShape(p, (int)d, 1, Alpha: -1f / _n, Beta: 1f), ones, _columnSums![unit]!, xc);
        }
        if (_blockGram is null || _blockGram.Length < (long)p * p)
        {
            _blockGram?.Dispose();
            _blockGram = null;
            _blockGram = _k.Allocate((long)p * p);
        }
        _k.Gram(p, d, xc, _blockGram);
        BufferSlice k = _grams.Slice((long)_gramSlot[unit] * _n * _n, (long)_n * _n);
        var rows = new[] { a, b };
        for (int r = 0; r < p; r++)
        {
            var (rowChunk, rowInChunk) = r < a.Rows ? (a, r) : (b, r - a.Rows);
            int targetRow = rowChunk.First + rowInChunk;
            int column = 0;
            foreach (var chunk in rows)
            {
                _k.Copy(_blockGram.Slice((long)r * p + column, chunk.Rows), k.Slice((long)targetRow * _n + chunk.First, chunk.Rows));
                column += chunk.Rows;
            }
        }
    }

    /// <summary>Chunked capture, the end: centres what the chunks gave (gram-form Grams, feature-form rows) as <see cref="Add"/> would have.</summary>
    public void FinishChunks()
    {
        for (int unit = 0; unit < _l; unit++)
        {
            if (_gramSlot[unit] >= 0)
            {
                BufferSlice k = _grams.Slice((long)_gramSlot[unit] * _n * _n, (long)_n * _n);
                _k.CenterGram(_n, k, k);
            }
            else if (_centred[unit] is { } buffer && _gramSlot[unit] == -2)
            {
                long d = _featureSize[unit];
                // The first pass wrote the rows into the centred half; centre them through the scratch half.
                _k.Copy(buffer.Slice(0, _n * d), buffer.Slice(_n * d, _n * d));
                CentreColumns(buffer.Slice(_n * d, _n * d), (int)d, buffer.Slice(0, _n * d), EnsureMeanScratch(d));
                _gramSlot[unit] = -1;
            }
        }
    }

    private bool IsFeatureForm(long d) => _form == OrmForm.Feature || (_form == OrmForm.Auto && d < _n);

    private void EnsureScratch(long rows, long d)
    {
        if (_gramScratch is null || _gramScratch.Length < (rows + 1) * d)
        {
            _gramScratch?.Dispose();
            _gramScratch = null;
            _gramScratch = _k.Allocate((rows + 1) * d);
        }
    }

    private BufferSlice EnsureMeanScratch(long d)
    {
        if (_gramScratch is null || _gramScratch.Length < d)
        {
            _gramScratch?.Dispose();
            _gramScratch = null;
            _gramScratch = _k.Allocate(d);
        }
        return _gramScratch.Slice(0, d);
    }

    /// <summary>X̄ = X − 1·mean with mean = (1/n)·1ᵀX (a rank-1 update with beta = 1); X itself is left as it was.</summary>
    private void CentreColumns(BufferSlice x, int d, BufferSlice centred, BufferSlice mean)
    {
        _k.Gemm(new GemmShape(1, d, _n, Alpha: 1f / _n), _ones, x, mean);
        _k.Copy(x, centred);
        _k.Gemm(new GemmShape(_n, d, 1, Alpha: -1f, Beta: 1f), _ones, mean, centred);
    }

    /// <summary>The L×L ORM (symmetric, unit diagonal, entries in [0, 1]) after every unit was added.</summary>
    public double[,] Compute()
    {
        for (int i = 0; i < _l; i++)
            if (_gramSlot[i] == -2) throw new InvalidOperationException($"unit '{_names[i]}' was never captured");

        int l = _l;
        long n2 = (long)_n * _n;
        using var gramProducts = _k.Allocate(Math.Max(1, (long)_gramCount * _gramCount));
        using var pairProducts = _k.Allocate((long)l * l);
        _k.Fill(pairProducts, 0f);
        if (_gramCount > 0) _k.FrobeniusProducts(_gramCount, n2, _grams, gramProducts);
        ComputeFeaturePairs(pairProducts);

        var gramHost = new float[gramProducts.Length];
        var pairHost = new float[l * l];
        var normsHost = new float[l];
        _k.Download(gramProducts, gramHost);
        _k.Download(pairProducts, pairHost);
        _k.Download(_featureNorms, normsHost);

        var products = new double[l, l];
        for (int i = 0; i < l; i++)
        for (int j = i; j < l; j++)
        {
            int si = _gramSlot[i], sj = _gramSlot[j];
            double value = si >= 0 && sj >= 0 ? gramHost[(long)si * _gramCount + sj] : pairHost[i * l + j];
            products[i, j] = products[j, i] = value;
        }
        return Normalise(products, normsHost);
    }

    private void ComputeFeaturePairs(DeviceBuffer pairProducts)
    {
        int l = _l;
        long maxD = 0;
        for (int i = 0; i < l; i++)
            if (_centred[i] is not null) maxD = Math.Max(maxD, _featureSize[i]);
        if (maxD == 0) return;

        using var scratch = _k.Allocate(maxD * maxD);
        using var pair = _k.Allocate(4);
        for (int i = 0; i < l; i++)
        {
            if (_centred[i] is not { } bi) continue;
            int di = (int)_featureSize[i];
            BufferSlice xi = bi.Slice(0, (long)_n * di);
            for (int j = 0; j < l; j++)
            {
                if (j < i && _centred[j] is not null) continue; // that pair was done in unit j's pass
                BufferSlice target = pairProducts.Slice((long)Math.Min(i, j) * l + Math.Max(i, j), 1);
                if (_centred[j] is { } bj)
                {
                    // ⟨K̃_i, K̃_j⟩ = ‖X̄_jᵀ·X̄_i‖²_F (d_j×d_i).
                    int dj = (int)_featureSize[j];
                    BufferSlice cross = scratch.Slice(0, (long)dj * di);
                    _k.Gemm(new GemmShape(dj, di, _n, TransA: true), bj.Slice(0, (long)_n * dj), xi, cross);
                    _k.FrobeniusProducts(1, cross.Length, cross, target);
                }
                else
                {
                    // ⟨K̃_i, K̃_j⟩ = tr(X̄_iᵀ·K̃_j·X̄_i) = ⟨X̄_i, K̃_j·X̄_i⟩_F; Y = K̃_j·X̄_i goes right after X̄_i.
                    BufferSlice kj = _grams.Slice((long)_gramSlot[j] * _n * _n, (long)_n * _n);
                    BufferSlice y = bi.Slice((long)_n * di, (long)_n * di);
                    _k.Gemm(new GemmShape(_n, di, _n), kj, xi, y);
                    _k.FrobeniusProducts(2, (long)_n * di, bi, pair);
                    _k.Copy(pair.Slice(1, 1), target);
                }
            }
        }
    }

    private double[,] Normalise(double[,] products, float[] featureNorms)
    {
        int l = _l;
        var norms = new double[l];
        // A non-finite feature poisons every product it enters; its own (diagonal) product names the culprit.
        for (int i = 0; i < l; i++)
            if (!double.IsFinite(products[i, i]) || !float.IsFinite(featureNorms[i]))
                throw new InvalidInputException($"unit '{_names[i]}' produced non-finite features (NaN or infinity); expected finite activations — check the input data and weights");
        for (int i = 0; i < l; i++)
        {
            double self = products[i, i];
            for (int j = 0; j < l; j++)
                if (!double.IsFinite(products[i, j]))
                    throw new InvalidInputException($"units '{_names[i]}' and '{_names[j]}' gave a non-finite Frobenius product; expected finite activations");
            double scale = featureNorms[i];
            norms[i] = Math.Sqrt(Math.Max(self, 0));
            if (!(norms[i] > ConstantFeatureThreshold * scale) || norms[i] == 0)
                throw new InvalidInputException(
                    $"unit '{_names[i]}' has a constant output over the batch (centred Gram norm {norms[i]:G3} vs feature energy {scale:G3}); " +
                    "the ORM needs outputs that vary between images — use more varied images");
        }
        var orm = new double[l, l];
        for (int i = 0; i < l; i++)
        {
            orm[i, i] = 1.0;
            for (int j = i + 1; j < l; j++)
            {
                double value = Math.Clamp(products[i, j] / (norms[i] * norms[j]), 0.0, 1.0);
                orm[i, j] = orm[j, i] = value;
            }
        }
        return orm;
    }

    public void Dispose()
    {
        _grams.Dispose();
        _featureNorms.Dispose();
        _ones.Dispose();
        _gramScratch?.Dispose();
        _blockGram?.Dispose();
        foreach (var b in _centred) b?.Dispose();
        foreach (var b in _columnSums ?? []) b?.Dispose();
    }
}
