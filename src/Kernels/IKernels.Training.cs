namespace Ompq.Kernels;

/// <summary>
/// The training half of the op contract: backward passes, training-mode batch-norm, the loss, reductions and
/// optimizer steps. Same conventions as the forward ops (fp32, dense, NCHW, asynchronous on queued devices).
/// Determinism: every reduction runs in an order fixed by the shapes alone (not by thread count or scheduling),
/// so two runs with the same inputs give bit-identical results on a backend.
/// Gradients are written (overwritten), never accumulated, unless an op says otherwise.
/// </summary>
public partial interface IKernels
{
    // ---- convolution --------------------------------------------------------------------------
    /// <summary>dx[N×C×H×W] = ∂L/∂x of y = conv2d(x, w) given dy[N×K×P×Q] (a transposed convolution).</summary>
    void Conv2dBackwardData(in Conv2dShape shape, BufferSlice dy, BufferSlice weight, BufferSlice dx);

    /// <summary>dw[K×(C/groups)×R×S] = ∂L/∂w of y = conv2d(x, w) given dy (summed over the batch).</summary>
    void Conv2dBackwardWeight(in Conv2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dw);

    // ---- reductions ---------------------------------------------------------------------------
    /// <summary>
    /// sums[c] = Σ over outer and inner of x viewed as outer×channels×inner (a conv or linear bias gradient:
    /// outer = N, inner = P·Q or 1).
    /// </summary>
    void ChannelSum(long outer, int channels, long inner, BufferSlice x, BufferSlice sums);

    // ---- batch-norm (training mode) -----------------------------------------------------------
    /// <summary>
    /// Batch statistics forward: mean_c and biased var_c over N and spatial, y = (x − mean)·invStd·gamma + beta with
    /// invStd = 1/√(var + eps). Writes mean and invStd to <paramref name="saveMean"/>/<paramref name="saveInvStd"/> for
    /// the backward and updates the running statistics as PyTorch does:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance (N·spatial/(N·spatial − 1)).
    /// </summary>
    void BatchNormTrainingForward(in ChannelShape shape, BufferSlice x, BufferSlice gamma, BufferSlice beta,
        BufferSlice runningMean, BufferSlice runningVar, float momentum, float eps,
        BufferSlice y, BufferSlice saveMean, BufferSlice saveInvStd);

    /// <summary>
    /// Backward of <see cref="BatchNormTrainingForward"/>: dgamma_c = Σ dy·x̂, dbeta_c = Σ dy,
    /// dx = gamma·invStd·(dy − dbeta/M − x̂·dgamma/M) with x̂ = (x − mean)·invStd and M = N·spatial.
    /// </summary>
    void BatchNormBackward(in ChannelShape shape, BufferSlice x, BufferSlice dy, BufferSlice gamma,
        BufferSlice saveMean, BufferSlice saveInvStd, BufferSlice dx, BufferSlice dgamma, BufferSlice dbeta);

    // ---- activation, pooling ------------------------------------------------------------------
    /// <summary>
    /// dx = dy where the activation's output <paramref name="y"/> lies strictly inside its linear range (ReLU: y &gt; 0;
    /// ReLU6: 0 &lt; y &lt; 6), else 0; the identity for <see cref="Activation.None"/>. dx may alias dy.
    /// </summary>
    void ActivateBackward(Activation activation, BufferSlice y, BufferSlice dy, BufferSlice dx, long length);

    /// <summary>dx = gradient of max pooling: each dy goes to the first maximum of its window (row-major scan), summed where windows overlap.</summary>
    void MaxPool2dBackward(in Pool2dShape shape, BufferSlice x, BufferSlice dy, BufferSlice dx);

    /// <summary>dx = gradient of <see cref="AvgPool2d"/> with the same divisor rule.</summary>
    void AvgPool2dBackward(in Pool2dShape shape, BufferSlice dy, BufferSlice dx);

    /// <summary>dx[N×C×spatial] = dy[N×C] / spatial broadcast over the plane.</summary>
    void GlobalAvgPoolBackward(in ChannelShape shape, BufferSlice dy, BufferSlice dx);

    // ---- loss ---------------------------------------------------------------------------------
    /// <summary>
    /// Softmax cross-entropy with mean reduction over the batch, loss and gradient in one pass. logits: batch×classes,
    /// labels: batch floats holding class indices. Writes losses[i] = −log softmax(logits_i)[label_i] and
    /// dlogits = (softmax − onehot)/batch. A label outside [0, classes) throws on the cpu backend and yields NaN
    /// losses on devices (which cannot throw from a kernel).
    /// </summary>
    void SoftmaxCrossEntropy(int batch, int classes, BufferSlice logits, BufferSlice labels, BufferSlice losses, BufferSlice dlogits);

    // ---- quantization (straight-through estimator) --------------------------------------------
    /// <summary>
    /// Straight-through backward of symmetric per-channel weight fake quantization with the given scales:
    /// dw = dy where −2^(bits−1) ≤ round(w/scale_c) ≤ 2^(bits−1) − 1, else 0 (w viewed as channels×perChannel), i.e.
    /// where the forward's clamp does not bind (torch's fake_quantize cachemask; the rounding matters: a channel's
    /// largest weight can give w/scale = qmax·(1 + ε)). Division and round-half-to-even as the forward.
    /// A zero scale passes nothing.
    /// </summary>
    void FakeQuantWeightsPerChannelBackward(int channels, long perChannel, int bits, BufferSlice w, BufferSlice scales,
        BufferSlice dy, BufferSlice dw);

    /// <summary>Straight-through backward of <see cref="FakeQuantPerTensor"/>: dx = dy where QMin ≤ round(x/scale) + zeroPoint ≤ QMax (the forward's clamp does not bind), else 0.</summary>
    void FakeQuantPerTensorBackward(in QuantParams quant, BufferSlice x, BufferSlice dy, BufferSlice dx, long length);

    // ---- elementwise for gradients ------------------------------------------------------------
    /// <summary>y = alpha·x + y over <paramref name="length"/> elements (gradient accumulation).</summary>
    void Axpy(float alpha, BufferSlice x, BufferSlice y, long length);

    // ---- optimizer steps (one fused pass per parameter tensor) --------------------------------
    /// <summary>
    /// SGD as torch.optim.SGD (dampening 0): g = grad + weightDecay·param; with momentum, buf = momentum·buf + g
    /// (buf = g on the first step, signalled by <paramref name="firstStep"/>), and g = g + momentum·buf (Nesterov) or buf;
    /// param −= lr·g. <paramref name="momentumBuffer"/> is unused (may be any slice) when momentum is 0.
    /// </summary>
    void SgdStep(in SgdStep step, BufferSlice param, BufferSlice grad, BufferSlice momentumBuffer, long length);

    /// <summary>
    /// Adam / AdamW as torch.optim.Adam / AdamW with bias correction for step <see cref="AdamStep.Step"/> (1-based):
    /// Adam adds weightDecay·param to the gradient; AdamW multiplies param by (1 − lr·weightDecay) first.
    /// </summary>
    void AdamStep(in AdamStep step, BufferSlice param, BufferSlice grad, BufferSlice m, BufferSlice v, long length);
}
