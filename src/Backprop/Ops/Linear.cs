namespace Backprop;

// The affine layer y = x·Wᵀ + b, alone or with the ReLU that usually follows it: one fused kernel forward; backward
// by fused kernels, or in tensor ops under createGraph.
public static partial class F
{
    /// <summary>
    /// y = x·weightᵀ + bias, as torch.nn.functional.linear: <paramref name="x"/> [..., in], <paramref name="weight"/>
    /// [out, in], <paramref name="bias"/> [out]; the result is [..., out].
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => Affine("Linear", x, weight, bias, relu: false);

    /// <summary>
    /// max(0, x·weightᵀ + bias): the same values and gradients as <c>F.Relu(F.Linear(x, weight, bias))</c>, as one op.
    /// The ReLU is applied as the product is written, the pre-activation is never stored, and the backward pass masks
    /// the upstream gradient and sums the bias gradient in one pass. <see cref="Nn.Sequential"/> uses it for a
    /// <see cref="Nn.Linear"/> followed by a <see cref="Nn.ReLU"/>.
    /// </summary>
    public static Tensor LinearRelu(Tensor x, Tensor weight, Tensor? bias = null) => Affine("LinearRelu", x, weight, bias, relu: true);

    private static Tensor Affine(string op, Tensor x, Tensor weight, Tensor? bias, bool relu)
    {
        CheckAffine(op, x, weight, bias);
        int outFeatures = weight.shape[0];
        int[] outShape = [.. x.shape[..^1], outFeatures];
        var y = Tensor.Uninitialized(outShape, x.DType, x.Device);
        // one GEMM onto the bias rows: no transposed copy, no broadcast add
        if (relu) x.Backend.LinearRelu(x, weight, bias, y);
        else x.Backend.Linear(x, weight, bias, y);
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true }))
            y.SetGradFn(new AffineNode(op, x, weight, bias, y, relu));
        return y;
    }

    private static void CheckAffine(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        if (weight.NDim != 2)
            throw new ArgumentException($"{op}: weight must be [out, in], got {Shapes.Format(weight.shape)}");
        if (x.NDim == 0 || x.shape[^1] != weight.shape[1])
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {(x.NDim == 0 ? 0 : x.shape[^1])} features but weight {Shapes.Format(weight.shape)} expects {weight.shape[1]}");
        if (bias is null) return;
        Op.RequireSame(op, x, bias);
        if (bias.NDim != 1 || bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"{op}: bias {Shapes.Format(bias.shape)} does not match weight {Shapes.Format(weight.shape)}: expected [{weight.shape[0]}]");
    }

    /// <summary>Linear's gradients in tensor ops: dx = g·W, dW = gᵀ·x and db = Σ rows of g, each only when asked for.</summary>
    internal static (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LinearGradients(Tensor x, Tensor weight, Tensor g, bool needDx, bool needDWeight, bool needDBias)
    {
        int outFeatures = weight.shape[0], rowCount = Shapes.Numel(x.shape[..^1]);
        var rows = g.Reshape(rowCount, outFeatures);
        return (needDx ? g.MatMul(weight) : null,
            needDWeight ? rows.MT.MatMul(x.Reshape(rowCount, weight.shape[1])) : null,
            needDBias ? rows.Sum(0) : null);
    }
}

/// <summary>
/// The node of Linear and LinearRelu. Its rule runs the backend's fused kernels, or tensor ops under createGraph. A
/// Linear node reading a LinearRelu node's output, or a ReLU of a Linear node's, can also run both layers' rules at
/// once (<see cref="ApplyWithProducer"/>).
/// </summary>
internal sealed class AffineNode(string name, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu)
    : Node(name, EdgesOf(bias is null ? [x, weight] : [x, weight, bias])), IReluFusable
{
    private readonly bool _relu = relu;
    private SavedTensor _x = new(x), _weight = new(weight), _y = relu ? new(y) : default;

    // x is read for the weight's gradient, the weight for x's, and the output for the fused ReLU's mask
    internal override void CheckSaved()
    {
        if (NeedsGrad(1)) _x.Check(this);
        if (NeedsGrad(0)) _weight.Check(this);
        _y.Check(this);
    }

    private protected override Tensor?[] Rule(Tensor g)
    {
        // with createGraph, the rule in tensor ops, so it differentiates again; otherwise the backend's fused kernels
        if (Autograd.IsGradEnabled)
        {
            var dz = _relu ? g * _y.Tensor!.Gt(0) : g;
            var (gx, gw, gb) =
                F.LinearGradients(_x.Tensor!, _weight.Tensor!, dz, NeedsGrad(0), NeedsGrad(1), NeedsBiasGrad);
            return Gradients(gx, gw, gb);
        }
        return RuleBehindRelu(g, _y.Tensor);
    }

    public bool HasRelu => _relu;

    // the backend's kernels; behind a ReLU (a mask given), the upstream gradient is masked in the pass that sums the bias's
    public Tensor?[] RuleBehindRelu(Tensor g, Tensor? masking)
    {
        Tensor x = _x.Tensor!, weight = _weight.Tensor!;
        bool needBias = NeedsBiasGrad;
        // behind a ReLU, the gradient reaching the product is g where the output is positive (y > 0 ⟺ x·Wᵀ + b > 0)
        Tensor dz = g;
        Tensor? maskedDb = null;
        if (masking is not null)
        {
            // masked in place when nothing but this node holds g: one block of memory fewer
            dz = g.IsContiguous && Engine.MayOverwrite(g) ? g : Tensor.Uninitialized(masking.shape, masking.DType, masking.Device);
            maskedDb = needBias ? Tensor.Uninitialized([weight.shape[0]], masking.DType, masking.Device) : null;
            x.Backend.ReluBackwardWithColumnSums(g, masking, dz, maskedDb);
        }
        // a weight whose Grad already exists (zeroed in place each step) takes dzᵀ·x into it when the pass ends
        bool intoGrad = NeedsGrad(1) && Engine.AddsIntoGrad(weight);
        var (dx, dw, db) = x.Backend.LinearBackward(x, weight, dz, NeedsGrad(0), NeedsGrad(1) && !intoGrad, needBias && masking is null);
        if (intoGrad) Engine.AddWeightGradientLater(x, dz, weight.Grad!);
        else if (masking is not null && dz != g) dz.storage.Release();   // scratch of this call only
        return Gradients(dx, dw, maskedDb ?? db);
    }

    /// <summary>
    /// The hidden layer this plain Linear layer reads, when that layer's input needs no gradient (it is the data): the
    /// two are a two-layer net whose backward pass can be one pass over the hidden layer.
    /// </summary>
    internal override (Node, Node?)? PairablePath => HiddenLayer() is ({ } layer, var relu) ? (layer, relu) : null;

    // a LinearRelu node, or a ReLU node over a plain Linear node (the node between), fed by data; h = max(0, x·W₁ᵀ + b₁)
    private (AffineNode Layer, ReluNode? Relu)? HiddenLayer() => _relu ? null : edges[0].Node switch
    {
        AffineNode { _relu: true } layer when !layer.NeedsGrad(0) => (layer, null),
        ReluNode { edges: [{ Node: AffineNode { _relu: false } layer }] } relu when !layer.NeedsGrad(0) => (layer, relu),
        _ => null,
    };

    /// <summary>
    /// This rule and the hidden layer's in one pass over the hidden layer's output (<see cref="Kernels.IBackend.TwoLayerBackward"/>),
    /// with the gradient at that output never formed; null when the backend has no such pass for these sizes.
    /// The weight gradients go where the separate rules would put them, so every Grad gets the same bits either way.
    /// </summary>
    internal override (Tensor?[] Own, Tensor?[] Producer)? ApplyWithProducer(Tensor g)
    {
        var (hidden, relu) = HiddenLayer()!.Value;
        CheckSaved();
        hidden.CheckSaved();
        relu?.CheckSaved();
        Tensor h = _x.Tensor!, w2 = _weight.Tensor!, w1 = hidden._weight.Tensor!;
        if (h.Backend.TwoLayerBackward(g, w2, h, hidden._x.Tensor!) is not ({ } dW2, { } dB1, { } dW1)) return null;
        var (_, _, dB2) = NeedsBiasGrad ? h.Backend.LinearBackward(h, w2, g, false, false, true) : default;
        if (!hidden.NeedsBiasGrad) dB1.storage.Release();
        return (Gradients(null, WeightGradient(w2, dW2, NeedsGrad(1)), dB2),
            hidden.Gradients(null, WeightGradient(w1, dW1, hidden.NeedsGrad(1)), hidden.NeedsBiasGrad ? dB1 : null));
    }

    // as the separate rule: added into Grad when the pass ends where that rule would queue its product, else returned
    private static Tensor? WeightGradient(Tensor weight, Tensor dW, bool needed)
    {
        if (needed && !Engine.AddsIntoGrad(weight)) return dW;
        if (needed) Engine.AddIntoGradLater(dW, weight.Grad!);
        else dW.storage.Release();
        return null;
    }

    private bool NeedsBiasGrad => edges.Length > 2 && NeedsGrad(2);

    private Tensor?[] Gradients(Tensor? dx, Tensor? dw, Tensor? db) => edges.Length == 2 ? [dx, dw] : [dx, dw, db];

    internal override void Release() { base.Release(); _x = _weight = _y = default; }
}
