namespace Backprop.Kernels;

/// <summary>Elementwise one-input kernels; p and q are the op's scalar parameters where it has any.</summary>
internal enum UnaryKernel
{
    /// <summary>-x</summary>
    Neg,
    /// <summary>|x|</summary>
    Abs,
    /// <summary>sign(x) in {-1, 0, 1}</summary>
    Sign,
    /// <summary>e^x</summary>
    Exp,
    /// <summary>ln x</summary>
    Log,
    /// <summary>√x</summary>
    Sqrt,
    /// <summary>tanh x</summary>
    Tanh,
    /// <summary>1/(1+e^-x)</summary>
    Sigmoid,
    /// <summary>max(x, 0)</summary>
    Relu,
    /// <summary>x if x &gt; 0 else p·x</summary>
    LeakyRelu,
    /// <summary>LeakyRelu's local gradient: 1 if x &gt; 0 else p</summary>
    LeakyReluSlope,
    /// <summary>x·Φ(x)</summary>
    Gelu,
    /// <summary>0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))</summary>
    GeluTanh,
    /// <summary>Φ(x), the standard normal CDF</summary>
    NormalCdf,
    /// <summary>x·σ(x)</summary>
    Silu,
    /// <summary>ln(1 + e^(px))/p, equal to x where px &gt; q (PyTorch's β and threshold)</summary>
    Softplus,
    /// <summary>x + p</summary>
    AddScalar,
    /// <summary>x·p</summary>
    MulScalar,
    /// <summary>p - x</summary>
    RSubScalar,
    /// <summary>p / x</summary>
    RDivScalar,
    /// <summary>x^p</summary>
    PowScalar,
    /// <summary>min(max(x, p), q)</summary>
    Clamp,
    /// <summary>1 where p ≤ x ≤ q, else 0</summary>
    InRange,
    /// <summary>x / p, a true division (not x times 1/p, which can differ in the last bit)</summary>
    DivScalar,
    /// <summary>sin x</summary>
    Sin,
    /// <summary>cos x</summary>
    Cos,
    /// <summary>tan x</summary>
    Tan,
    /// <summary>arcsin x</summary>
    Asin,
    /// <summary>arccos x</summary>
    Acos,
    /// <summary>arctan x</summary>
    Atan,
    /// <summary>sinh x</summary>
    Sinh,
    /// <summary>cosh x</summary>
    Cosh,
    /// <summary>ln(1 + x), keeping x's digits when x is tiny</summary>
    Log1p,
    /// <summary>e^x − 1, keeping x's digits when x is tiny</summary>
    Expm1,
    /// <summary>log₂ x</summary>
    Log2,
    /// <summary>log₁₀ x</summary>
    Log10,
    /// <summary>the error function erf x</summary>
    Erf,
    /// <summary>the inverse of erf on (−1, 1)</summary>
    Erfinv,
    /// <summary>⌊x⌋</summary>
    Floor,
    /// <summary>⌈x⌉</summary>
    Ceil,
    /// <summary>x rounded to the nearest integer, halves to even</summary>
    Round,
    /// <summary>x rounded toward zero</summary>
    Trunc,
}

/// <summary>
/// Elementwise two-input kernels (broadcasting) over inputs of one dtype; comparisons write a Bool output, and the
/// logical kernels take and give Bool.
/// </summary>
internal enum BinaryKernel
{
    /// <summary>a + b</summary>
    Add,
    /// <summary>a - b</summary>
    Sub,
    /// <summary>a · b</summary>
    Mul,
    /// <summary>a / b</summary>
    Div,
    /// <summary>a ^ b</summary>
    Pow,
    /// <summary>max(a, b), NaN if either is NaN</summary>
    Maximum,
    /// <summary>min(a, b), NaN if either is NaN</summary>
    Minimum,
    /// <summary>a &gt; b</summary>
    Gt,
    /// <summary>a ≥ b</summary>
    Ge,
    /// <summary>a &lt; b</summary>
    Lt,
    /// <summary>a ≤ b</summary>
    Le,
    /// <summary>a = b</summary>
    Eq,
    /// <summary>a where b &gt; 0, else 0: the gradient a of ReLU at its input b</summary>
    PassIfPositive,
    /// <summary>a ≠ b</summary>
    Ne,
    /// <summary>a and b (Bool)</summary>
    LogicalAnd,
    /// <summary>a or b (Bool)</summary>
    LogicalOr,
    /// <summary>a xor b (Bool)</summary>
    LogicalXor,
    /// <summary>atan2(a, b), the angle of the point (b, a)</summary>
    Atan2,
    /// <summary>√(a² + b²) without overflow in the squares</summary>
    Hypot,
    /// <summary>a − trunc(a/b)·b, the C fmod: the sign of a</summary>
    Fmod,
    /// <summary>a − ⌊a/b⌋·b, Python's %: the sign of b</summary>
    Remainder,
}

/// <summary>Facts about kernels that ops and backends share.</summary>
internal static class KernelFacts
{
    /// <summary>True for the kernels that compare their inputs and write a Bool output.</summary>
    public static bool IsComparison(this BinaryKernel k) => OpTable.Binary[(int)k].WritesBool;
}

/// <summary>Reductions over the trailing elements of each row.</summary>
internal enum ReduceKernel
{
    /// <summary>Σ</summary>
    Sum,
    /// <summary>max</summary>
    Max,
    /// <summary>min</summary>
    Min,
}

/// <summary>
/// The storage and kernels of one device. Ops call these after validating their arguments; a backend never
/// sees autograd. Output tensors passed in are freshly allocated and contiguous unless stated otherwise.
/// </summary>
internal interface IBackend
{
    /// <summary>Zero-filled storage of <paramref name="length"/> elements.</summary>
    Storage Allocate(DType dtype, int length);

    /// <summary>
    /// Storage of <paramref name="length"/> elements with unspecified contents, for an output that a kernel
    /// overwrites whole (elementwise results, matrix products): it skips clearing memory that is about to be written.
    /// </summary>
    Storage AllocateUninitialized(DType dtype, int length) => Allocate(dtype, length);

    /// <summary>Storage holding a copy of <paramref name="data"/>.</summary>
    Storage FromArray<T>(ReadOnlySpan<T> data) where T : unmanaged;

    /// <summary>The elements of <paramref name="x"/> in row-major order, in its own element type.</summary>
    T[] ToArray<T>(Tensor x) where T : unmanaged;

    /// <summary>Sets every element of the contiguous <paramref name="y"/>.</summary>
    void Fill(Tensor y, double value);

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> (same shape and dtype; dst may be a strided
    /// view).</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>Copies <paramref name="src"/> into <paramref name="dst"/> of another dtype, converting each
    /// element.</summary>
    void Convert(Tensor src, Tensor dst);

    /// <summary>y = k(x; p, q) elementwise, x and y of the same shape.</summary>
    void Unary(UnaryKernel k, Tensor x, Tensor y, double p, double q);

    /// <summary>
    /// y = k(a, b) elementwise, a and b (of one dtype) broadcast to y's shape; y has their dtype, or is Bool for a
    /// comparison.
    /// </summary>
    void Binary(BinaryKernel k, Tensor a, Tensor b, Tensor y);

    /// <summary>y = cond ? a : b, all three broadcast to y's shape (cond Bool, a and b of y's dtype).</summary>
    void Where(Tensor cond, Tensor a, Tensor b, Tensor y);

    /// <summary>Reduces each of y.Numel rows of the (possibly strided) <paramref name="x"/>, whose trailing dims form
    /// the rows.</summary>
    void Reduce(ReduceKernel k, Tensor x, Tensor y);

    /// <summary>As <see cref="Reduce"/>, writing the first index of the row's max (or min) into the Int64
    /// <paramref name="y"/>.</summary>
    void ArgReduce(bool max, Tensor x, Tensor y);

    /// <summary>Batched matrix product: a [..., m, k] and b [..., k, n] already expanded to y's batch dims; y [..., m,
    /// n].</summary>
    void MatMul(Tensor a, Tensor b, Tensor y);

    /// <summary>
    /// <paramref name="b"/> [k, n] (possibly a transposed view) prepared as the right operand of many products in a
    /// row, as a recurrent weight is at every step; dispose it after the last product. A backend without a faster
    /// form keeps the tensor.
    /// </summary>
    RightOperand PrepareRight(Tensor b) => new(b);

    /// <summary>
    /// y = a·b + bias (the bias [n] added to every row, when given) for a [m, k] and y [m, n]: the bits of
    /// <see cref="Linear"/> with the weight bᵀ when there is a bias, of <see cref="MatMul(Tensor, Tensor, Tensor)"/>
    /// when there is none.
    /// </summary>
    void MatMul(Tensor a, RightOperand b, Tensor? bias, Tensor y)
    {
        if (bias is null) MatMul(a, b.Tensor, y);
        else Linear(a, b.Tensor.MT, bias, y);
    }

    /// <summary>
    /// The affine map of a linear layer: y = x·weightᵀ + bias for every row of x [..., in], with weight [out, in]
    /// (possibly a transposed view), the optional bias [out] and y [..., out].
    /// </summary>
    void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y);

    /// <summary>
    /// The gradients of <see cref="Linear"/> from the gradient <paramref name="g"/> [..., out], outside grad mode:
    /// dx = g·weight, dWeight = gᵀ·x over all rows, dBias = the column sums of g; each only when asked for.
    /// A backend without a fused version computes them with tensor ops.
    /// </summary>
    (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LinearBackward(Tensor x, Tensor weight, Tensor g, bool needDx,
        bool needDWeight, bool needDBias) =>
        F.LinearGradients(x, weight, g, needDx, needDWeight, needDBias);

    /// <summary>
    /// y = max(0, x·weightᵀ + bias): <see cref="Linear"/> with the ReLU applied to y as it is written (NaN passes,
    /// as in Relu). A backend without a fused version applies it in place after the product.
    /// </summary>
    void LinearRelu(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        Linear(x, weight, bias, y);
        Unary(UnaryKernel.Relu, y, y, 0, 0);
    }

    /// <summary>
    /// The ReLU's part of a fused layer's backward pass, outside grad mode: dz = g where the layer's output y &gt; 0,
    /// else 0 (g, y, dz [..., out]); with <paramref name="columnSums"/> [out], also the bias gradient Σ rows of dz, in
    /// the same pass over g. A backend without a fused version runs the two as separate kernels.
    /// </summary>
    void ReluBackwardWithColumnSums(Tensor g, Tensor y, Tensor dz, Tensor? columnSums)
    {
        Binary(BinaryKernel.PassIfPositive, g, y, dz);
        if (columnSums is not null) Copy(dz.Reshape(dz.Numel / columnSums.Numel, columnSums.Numel).Sum(0), columnSums);
    }

    /// <summary>
    /// The LSTM's pointwise step, outside grad mode: from the contiguous <paramref name="gates"/> [..., 4H] (the
    /// pre-activations i, f, g, o) and cell state <paramref name="c"/> [..., H], writes h' = σ(o)·tanh(c') into
    /// state[0] and c' = σ(f)·c + σ(i)·tanh(g) into state[1] (<paramref name="state"/> [2, ..., H]). A backend
    /// without a fused version runs the tensor ops of <see cref="F.LstmPointwise"/>.
    /// </summary>
    void LstmCell(Tensor gates, Tensor c, Tensor state)
    {
        using var _ = Autograd.NoGrad();   // the op records its own node
        var (h, cNext) = F.LstmPointwise(gates, c);
        Copy(h, state.Select(0, 0));
        Copy(cNext, state.Select(0, 1));
    }

    /// <summary>
    /// The gradients of <see cref="LstmCell"/>, outside grad mode: <paramref name="dGates"/> [..., 4H] and
    /// <paramref name="dc"/> [..., H] from the upstream gradient <paramref name="g"/> [2, ..., H] of (h', c'), reading
    /// the gates, c and the step's output <paramref name="state"/> (all contiguous).
    /// </summary>
    void LstmCellBackward(Tensor g, Tensor gates, Tensor c, Tensor state, Tensor dGates, Tensor dc)
    {
        using var _ = Autograd.NoGrad();
        var (gradGates, gradC) = F.LstmPointwiseGradients(g.Select(0, 0), g.Select(0, 1), gates, c, state.Select(0, 1));
        Copy(gradGates, dGates);
        Copy(gradC, dc);
    }

    /// <summary>
    /// Layer normalization of the rows of the contiguous <paramref name="x"/> [rows, n] (any shape whose trailing
    /// dims hold n elements), outside grad mode: y = (x − mean)·rstd·weight + bias with rstd = 1/√(var + eps),
    /// the biased variance; each row's mean and rstd go to <paramref name="mean"/> and <paramref name="rstd"/> [rows].
    /// Weight and bias [n] are optional. A backend without a fused version runs tensor ops.
    /// </summary>
    void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, Tensor y, Tensor mean, Tensor rstd)
    {
        using var _ = Autograd.NoGrad();
        var rows = x.Reshape(mean.Numel, -1);
        var (rowMean, rowRstd) = F.LayerNormStatistics(rows, eps);
        var normalized = (rows - rowMean) * rowRstd;
        if (weight is not null) normalized = normalized * weight.Reshape(-1);
        if (bias is not null) normalized = normalized + bias.Reshape(-1);
        Copy(normalized.Reshape(y.shape), y);
        Copy(rowMean.Reshape(mean.shape), mean);
        Copy(rowRstd.Reshape(rstd.shape), rstd);
    }

    /// <summary>
    /// The gradients of <see cref="LayerNorm"/>, outside grad mode, from the contiguous upstream gradient g, x, the
    /// weight and the saved mean and rstd: dx, dWeight and dBias, each written when not null.
    /// </summary>
    void LayerNormBackward(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor rstd, Tensor? dx, Tensor? dWeight,
        Tensor? dBias)
    {
        using var _ = Autograd.NoGrad();
        var (rows, gRows) = (x.Reshape(mean.Numel, -1), g.Reshape(mean.Numel, -1));
        var (dxRows, dw, db) = F.LayerNormGradients(gRows, rows, weight?.Reshape(-1), mean.Reshape(-1, 1),
            rstd.Reshape(-1, 1));
        if (dx is not null) Copy(dxRows.Reshape(dx.shape), dx);
        if (dWeight is not null) Copy(dw.Reshape(dWeight.shape), dWeight);
        if (dBias is not null) Copy(db.Reshape(dBias.shape), dBias);
    }

    /// <summary>
    /// Batch normalization of the contiguous <paramref name="x"/> [N, C, ...] over every dim but 1, outside grad mode:
    /// y = (x − mean)·rstd·weight + bias with rstd = 1/√(variance + eps). When <paramref name="training"/>, each
    /// channel's mean and biased variance are written to <paramref name="mean"/> and <paramref name="variance"/> [C];
    /// else they are read from them. Weight and bias [C] are optional. A backend without a fused version runs tensor
    /// ops.
    /// </summary>
    void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, double eps, bool training, Tensor mean, Tensor variance,
        Tensor y)
    {
        using var _ = Autograd.NoGrad();
        if (training)
        {
            var (batchMean, batchVariance) = F.BatchNormStatistics(x);
            Copy(batchMean, mean);
            Copy(batchVariance, variance);
        }
        var channelShape = x.shape.Select((size, d) => d == 1 ? size : 1).ToArray();
        var normalized = (x - mean.Reshape(channelShape)) * (variance.Reshape(channelShape) + eps).Rsqrt();
        if (weight is not null) normalized = normalized * weight.Reshape(channelShape);
        if (bias is not null) normalized = normalized + bias.Reshape(channelShape);
        Copy(normalized, y);
    }

    /// <summary>
    /// The gradients of <see cref="BatchNorm"/>, outside grad mode, from the contiguous upstream gradient g, x, the
    /// weight and the statistics that normalized x (through them when <paramref name="training"/>): dx, dWeight and
    /// dBias, each written when not null.
    /// </summary>
    void BatchNormBackward(Tensor g, Tensor x, Tensor? weight, Tensor mean, Tensor variance, double eps, bool training,
        Tensor? dx, Tensor? dWeight, Tensor? dBias)
    {
        using var _ = Autograd.NoGrad();
        var (dxOps, dw, db) = F.BatchNormGradients(g, x, weight, mean, variance, eps, training);
        if (dx is not null) Copy(dxOps, dx);
        if (dWeight is not null) Copy(dw, dWeight);
        if (dBias is not null) Copy(db, dBias);
    }

    /// <summary>
    /// Softmax along the last dim of the contiguous <paramref name="x"/> into <paramref name="y"/>, outside grad mode.
    /// A backend without a fused version runs the tensor ops of <see cref="F.SoftmaxInOps"/>.
    /// </summary>
    void Softmax(Tensor x, Tensor y)
    {
        using var _ = Autograd.NoGrad();
        Copy(F.SoftmaxInOps(x, x.NDim - 1), y);
    }

    /// <summary>
    /// The gradient of <see cref="Softmax"/>, outside grad mode: dx = y ⊙ (g − Σ g⊙y) along the last dim, from
    /// the contiguous output <paramref name="y"/> and upstream gradient <paramref name="g"/>.
    /// </summary>
    void SoftmaxBackward(Tensor y, Tensor g, Tensor dx)
    {
        using var _ = Autograd.NoGrad();
        Copy(F.SoftmaxGradient(y, g, y.NDim - 1), dx);
    }

    /// <summary>
    /// The GRU's pointwise step, outside grad mode: from the contiguous <paramref name="inputGates"/> and
    /// <paramref name="hiddenGates"/> [..., 3H] (the r, z, n parts of x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh) and the
    /// hidden state <paramref name="h"/> [..., H], writes h' into <paramref name="hNext"/>. A backend without a fused
    /// version runs the tensor ops of <see cref="F.GruPointwise"/>.
    /// </summary>
    void GruCell(Tensor inputGates, Tensor hiddenGates, Tensor h, Tensor hNext)
    {
        using var _ = Autograd.NoGrad();
        Copy(F.GruPointwise(inputGates, hiddenGates, h), hNext);
    }

    /// <summary>
    /// The gradients of <see cref="GruCell"/>, outside grad mode, from the upstream gradient <paramref name="g"/>
    /// [..., H] of h': those of both gate sets [..., 3H], and <paramref name="dh"/> [..., H], the part of h's gradient
    /// that does not pass through the hidden gates.
    /// </summary>
    void GruCellBackward(Tensor g, Tensor inputGates, Tensor hiddenGates, Tensor h, Tensor dInputGates,
        Tensor dHiddenGates, Tensor dh)
    {
        using var _ = Autograd.NoGrad();
        var (gradInput, gradHidden, gradH) = F.GruPointwiseGradients(g, inputGates, hiddenGates, h);
        Copy(gradInput, dInputGates);
        Copy(gradHidden, dHiddenGates);
        Copy(gradH, dh);
    }

    /// <summary>y[..i..] = x[..index[..i..] at dim..] (indices already validated).</summary>
    void Gather(Tensor x, int dim, Tensor index, Tensor y);

    /// <summary>y[..index[..i..] at dim..] += src[..i..] in place on the contiguous y (indices already
    /// validated).</summary>
    void ScatterAdd(Tensor y, int dim, Tensor index, Tensor src);

    /// <summary>The first element of the Int64 <paramref name="index"/> outside [0, size), or null if all are in
    /// range.</summary>
    long? FindOutOfRange(Tensor index, int size);

    /// <summary>True when no element is NaN or infinite.</summary>
    bool AllFinite(Tensor x);

    /// <summary>
    /// Softmax cross-entropy of each row of the contiguous <paramref name="logits"/> [N, C] against the Int64
    /// <paramref name="target"/> [N] (already validated): loss[i] = lse[i] − logits[i, target[i]], with the
    /// row's log-sum-exp computed stably and written to <paramref name="logSumExp"/> for the backward pass.
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor target, Tensor loss, Tensor logSumExp);

    /// <summary>dLogits[i, j] = g[i]·(e^(logits[i, j] − lse[i]) − [j = target[i]]): the softmax-minus-one-hot
    /// gradient.</summary>
    void CrossEntropyBackward(Tensor logits, Tensor target, Tensor logSumExp, Tensor g, Tensor dLogits);

    /// <summary>
    /// Unfolds the contiguous x [N, C, H, W] into columns [C·KH·KW, N·OutH·OutW]: row (c, ki, kj) holds, for every
    /// sample and output position, the input under that kernel tap (0 in the padding).
    /// </summary>
    void Im2Col(Tensor x, Window2d window, Tensor columns);

    /// <summary>The transpose of <see cref="Im2Col"/>: adds each column entry back into the zero-filled dx [N, C, H,
    /// W].</summary>
    void Col2Im(Tensor columns, Window2d window, Tensor dx);

    /// <summary>
    /// The product of a convolution with one group: y[n] = weight · columns[:, sample n] + bias for each sample, with
    /// the contiguous <paramref name="columns"/> [C·kH·kW, N·OutH·OutW] from <see cref="Im2Col"/>, the contiguous
    /// weight [O, C·kH·kW], the optional bias [O] and y [N, O, OutH, OutW].
    /// </summary>
    void Conv2d(Tensor columns, Tensor weight, Tensor? bias, Window2d window, Tensor y);

    /// <summary><see cref="Conv2d"/> followed by max(0, ·) on y; a backend may apply the ReLU as the product is
    /// written.</summary>
    void Conv2dRelu(Tensor columns, Tensor weight, Tensor? bias, Window2d window, Tensor y)
    {
        Conv2d(columns, weight, bias, window, y);
        Unary(UnaryKernel.Relu, y, y, 0, 0);
    }

    /// <summary>
    /// The gradients of <see cref="Conv2d"/> from the contiguous g [N, O, OutH, OutW]: dWeight = Σₙ g[n]·columns[:,
    /// n]ᵀ and the input's, the columns' gradient weightᵀ·g[n] folded by <see cref="Col2Im"/> into the zero-filled
    /// dx [N, C, H, W]; either output may be null when that gradient is not needed.
    /// </summary>
    void Conv2dBackward(Tensor columns, Tensor weight, Tensor g, Window2d window, Tensor? dWeight, Tensor? dx);

    /// <summary>
    /// A convolution's backward pass from its output to its product and bias, outside grad mode, over the contiguous
    /// g [N, O, OutH, OutW]: with <paramref name="reluOutput"/> (a fused ReLU's output), dz = g where the output &gt;
    /// 0, else 0, written into <paramref name="dz"/> (which may be g); without, dz is g. With <paramref name="dBias"/>
    /// [O], also the bias gradient Σ over n, h, w of dz. A backend without a fused version masks and then sums in
    /// tensor ops.
    /// </summary>
    void ConvolutionOutputBackward(Tensor g, Tensor? reluOutput, Tensor dz, Tensor? dBias)
    {
        if (reluOutput is not null) Binary(BinaryKernel.PassIfPositive, g, reluOutput, dz);
        if (dBias is not null) Copy(dz.Sum([0, 2, 3]), dBias);
    }

    /// <summary>Max over each window of the contiguous x [N, C, H, W]; indices get the winner's position within its
    /// H·W plane.</summary>
    void MaxPool2d(Tensor x, Window2d window, Tensor y, Tensor indices);

    /// <summary>
    /// Max pooling's gradient: dx [N·C, H·W] is zero except that dx[p, winners[p, o]] gains g[p, o] for every output
    /// o of plane p (g [N·C, outH·outW] contiguous, winners as <see cref="MaxPool2d"/> wrote them). dx's contents on
    /// entry are unspecified.
    /// </summary>
    void MaxPool2dBackward(Tensor g, Tensor winners, Window2d window, Tensor dx)
    {
        Fill(dx, 0);
        ScatterAdd(dx, 1, winners, g);
    }

    /// <summary>Mean over each window of the contiguous x, padding counted in the divisor (PyTorch's
    /// count_include_pad).</summary>
    void AvgPool2d(Tensor x, Window2d window, Tensor y);

    /// <summary>The transpose of <see cref="AvgPool2d"/>: spreads each contiguous g entry evenly over its window into
    /// the zero-filled dx.</summary>
    void AvgPool2dBackward(Tensor g, Window2d window, Tensor dx);
}

/// <summary>The right operand of many products in a row (<see cref="IBackend.PrepareRight"/>): the tensor, and
/// whatever the backend made of it, which Dispose frees.</summary>
internal class RightOperand(Tensor tensor) : IDisposable
{
    public Tensor Tensor { get; } = tensor;

    public virtual void Dispose() { }
}

/// <summary>
/// The geometry of a sliding 2-D window over an [N, C, H, W] input: kernel size, stride, zero padding and
/// dilation per axis. Output sizes follow PyTorch: ⌊(H + 2·pad − dilation·(kernel − 1) − 1) / stride⌋ + 1,
/// plus ExtraH (ExtraW) windows that ceil_mode adds where a last window starts inside but runs past the padded input.
/// </summary>
internal readonly record struct Window2d(int N, int C, int H, int W, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH = 1, int DilationW = 1, int ExtraH = 0, int ExtraW = 0)
{
    /// <summary>Output height.</summary>
    public int OutH => (H + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1 + ExtraH;

    /// <summary>Output width.</summary>
    public int OutW => (W + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1 + ExtraW;
}

/// <summary>Backends for devices other than the CPU, registered by the assemblies that provide them.</summary>
internal static class Backends
{
    private static readonly Dictionary<Device, IBackend> s_registered = [];

    /// <summary>Makes <paramref name="backend"/> serve tensors on <paramref name="device"/>.</summary>
    public static void Register(Device device, IBackend backend)
    {
        lock (s_registered) s_registered[device] = backend;
    }

    internal static IBackend? Get(Device device)
    {
        lock (s_registered) return s_registered.GetValueOrDefault(device);
    }

    /// <summary>
    /// Registers the backend of a CUDA device on first use by calling Backprop.Cuda's initializer, found by name so
    /// that this library has no dependency on it; its exception, which says what was probed, reaches the caller.
    /// </summary>
    internal static IBackend Load(Device device)
    {
        var cuda = device.Type == DeviceType.Cuda ? Type.GetType("Backprop.Cuda.Cuda, Backprop.Cuda") : null;
        if (cuda is null)
            throw new NotSupportedException(
                $"no backend is registered for device {device}: " +
                $"reference the Backprop.Cuda package to use CUDA devices");
        cuda.GetMethod("Initialize")!.Invoke(null, System.Reflection.BindingFlags.DoNotWrapExceptions, null,
            [device.Index], null);
        return Get(device) ?? throw new NotSupportedException($"no backend is registered for device {device}");
    }
}
