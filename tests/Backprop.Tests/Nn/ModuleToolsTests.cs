using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Nn;

/// <summary>Containers, many-input modules, hooks, Apply, dtype moves, freezing and non-strict loading.</summary>
public class ModuleToolsTests
{
    // a block holding its layers in containers, named in the state dict as PyTorch names them
    private sealed class Block : Module
    {
        public Block()
        {
            Layers = RegisterModule("layers", new ModuleList(new Linear(3, 4, generator: new Generator(1)),
                new Identity()));
            Heads = RegisterModule("heads", new ModuleDict(("a", new Linear(4, 2, generator: new Generator(2)))));
            Scales = RegisterModule("scales", new ParameterList(Tensor.Ones([2]), Tensor.Full([2], 3.0f)));
        }

        public ModuleList Layers { get; }
        public ModuleDict Heads { get; }
        public ParameterList Scales { get; }

        public override Tensor Forward(Tensor input)
        {
            var x = input;
            foreach (var layer in Layers) x = layer.Call(x);
            return Heads["a"].Call(x) * Scales[0] * Scales[-1];
        }
    }

    [Fact]
    public void Containers_register_their_members_under_pytorchs_names()
    {
        var block = new Block();
        Assert.Equal(["layers.0.weight", "layers.0.bias", "heads.a.weight", "heads.a.bias", "scales.0", "scales.1"],
            block.StateDict().Keys);
        Assert.Equal(6, block.Parameters().Count());
        Assert.Equal(["a"], block.Heads.Keys);
        Assert.IsType<Identity>(block.Layers[-1]);
        var y = block.Forward(Tensor.Ones([5, 3]));
        y.Sum().Backward();
        Assert.Equal([5, 2], y.Shape);
        Assert.NotNull(block.Scales[1].Grad);
        Assert.Throws<InvalidOperationException>(() => block.Layers.Forward(Tensor.Ones([1, 3])));
        Assert.Contains("no module named 'b'", Assert.Throws<KeyNotFoundException>(() => block.Heads["b"]).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => block.Layers[2]);
    }

    [Fact]
    public void Unflatten_splits_one_dim_and_infers_a_minus_one()
    {
        var x = Tensor.Arange(24, DType.Int64).Reshape(2, 12);
        Assert.Equal([2, 3, 4], new Unflatten(1, 3, -1).Forward(x).Shape);
        Assert.Equal([2, 2, 6], new Unflatten(-1, 2, 6).Forward(x).Shape);
        Assert.Equal(x.ToArray<long>(), new Unflatten(1, 3, 4).Forward(x).ToArray<long>());
        Assert.Contains("cannot be split", Assert.Throws<ArgumentException>(() => new Unflatten(1, 5,
            -1).Forward(x)).Message);
        var y = Tensor.Ones([2, 2]);
        Assert.Same(y, new Identity().Forward(y));
    }

    // attention-like: two inputs, two outputs
    private sealed class Gate : Module<Tensor, Tensor?, (Tensor Out, Tensor Weights)>
    {
        public override (Tensor Out, Tensor Weights) Forward(Tensor x, Tensor? mask)
        {
            var w = F.Softmax(mask is null ? x : x + mask, -1);
            return (w * x, w);
        }
    }

    [Fact]
    public void A_module_takes_two_inputs_returns_two_tensors_and_runs_its_hooks()
    {
        var gate = new Gate();
        var x = Tensor.FromArray([1f, 2f, 3f], [1, 3]);
        var (plain, _) = gate.Call(x, null);
        var (masked, weights) = gate.Call(x, Tensor.FromArray([0f, 0f, -1e9f], [1, 3]));
        Assert.NotEqual(plain.ToArray<float>(), masked.ToArray<float>());
        Assert.Equal(0f, weights.ToArray<float>()[2]);
        object?[]? seen = null;
        using (gate.RegisterForwardHook((_, inputs, _) => { seen = inputs; return null; }))
            gate.Call(x, null);
        Assert.Same(x, seen![0]);
        Assert.Null(seen[1]);
        Assert.Throws<InvalidOperationException>(() => gate.Forward(x));
        Assert.Contains("takes 2 inputs", Assert.Throws<ArgumentException>(() => new Sequential(new ReLU(),
            gate)).Message);
    }

    [Fact]
    public void Hooks_replace_inputs_and_outputs_until_their_handles_remove_them()
    {
        var layer = new Linear(2, 2, generator: new Generator(3));
        var x = Tensor.FromArray([1f, -1f], [1, 2]);
        var plain = layer.Call(x).ToArray<float>();
        var calls = new List<string>();
        var pre = layer.RegisterForwardPreHook((_, inputs) => { calls.Add("pre"); return [(Tensor)inputs[0]! * 2]; });
        var post = layer.RegisterForwardHook((_, _, output) => { calls.Add("post"); return F.Relu((Tensor)output!); });
        var hooked = layer.Call(x).ToArray<float>();
        var expected = F.Relu(layer.Forward(x * 2)).ToArray<float>();
        Assert.Equal(expected, hooked);
        Assert.Equal(["pre", "post"], calls);
        pre.Dispose();
        pre.Dispose();   // a second removal changes nothing
        post.Dispose();
        Assert.Equal(plain, layer.Call(x).ToArray<float>());
        Assert.Equal(2, calls.Count);
        using (layer.RegisterForwardHook((_, _, _) => "not a tensor"))
            Assert.Contains("a forward hook returned a String",
                Assert.Throws<InvalidOperationException>(() => layer.Call(x)).Message);
    }

    // a Transformer layer calls its children as PyTorch's does, so their hooks fire; a hooked linear1 is not fused
    [Fact]
    public void A_transformer_layer_runs_the_hooks_of_its_children()
    {
        var layer = new TransformerEncoderLayer(new TransformerOptions(8, 2, 16, Dropout: 0), new Generator(7));
        var children = layer.NamedChildren().ToDictionary(c => c.Name, c => c.Module);
        var calls = new List<string>();
        Tensor? hidden = null;
        var x = Tensor.Randn([3, 2, 8], generator: new Generator(8));
        var plain = layer.Forward(x).ToArray<float>();
        var hooks = new[] { "linear1", "linear2", "norm1", "norm2", "dropout1" }.Select(name =>
            children[name].RegisterForwardHook((_, _, output) =>
            {
                calls.Add(name);
                if (name == "linear1") hidden = (Tensor)output!;
                return null;
            })).ToList();
        Assert.Equal(plain, layer.Forward(x).ToArray<float>());
        Assert.Equal(["dropout1", "norm1", "linear1", "linear2", "norm2"], calls);
        Assert.Contains(hidden!.ToArray<float>(), v => v < 0);   // the pre-activation, before the ReLU
        hooks.ForEach(h => h.Dispose());
    }

    // attention and the layers of a stack take several inputs; they are called through their hooks as PyTorch's
    // self_attn(x, x, x, ...) and layer(x, mask, ...) are, so a hook sees every argument and the (output, weights) pair
    [Fact]
    public void Stacks_and_attention_run_their_hooks_with_every_argument()
    {
        var options = new TransformerOptions(8, 2, 16, Dropout: 0);
        var model = new Transformer(options, numEncoderLayers: 2, numDecoderLayers: 1, generator: new Generator(3));
        var modules = model.NamedModules().ToDictionary(m => m.Name, m => m.Module);
        var (src, tgt) = (Tensor.Randn([4, 2, 8], generator: new Generator(4)), Tensor.Randn([3, 2, 8],
            generator: new Generator(5)));
        var plain = model.Forward(src, tgt).ToArray<float>();
        var calls = new List<(string Name, object?[] Inputs, object? Output)>();
        var handles = new[] { "encoder", "encoder.layers.1", "encoder.layers.0.self_attn",
            "decoder.layers.0", "decoder.layers.0.multihead_attn" }.Select(name =>
            modules[name].RegisterForwardHook((_, inputs, output) =>
            {
                calls.Add((name, inputs, output));
                return null;
            })).ToList();
        Assert.Equal(plain, model.Forward(src, tgt).ToArray<float>());
        Assert.Equal(["encoder.layers.0.self_attn", "encoder.layers.1", "encoder", "decoder.layers.0.multihead_attn",
            "decoder.layers.0"], calls.Select(c => c.Name));
        var selfAttention = calls[0];
        Assert.Equal(7, selfAttention.Inputs.Length);
        Assert.Same(selfAttention.Inputs[0], selfAttention.Inputs[1]);
        Assert.Equal(false, selfAttention.Inputs[4]);   // needWeights, as the layer asks
        var (output, weights) = ((Tensor, Tensor?))selfAttention.Output!;
        Assert.Equal([4, 2, 8], output.Shape);
        Assert.Null(weights);
        var memory = (Tensor)calls[2].Output!;
        Assert.Same(memory, calls[3].Inputs[1]);   // cross-attention's key is the encoder's output
        handles.ForEach(h => h.Dispose());

        // a pre-hook that replaces the value changes what the layer computes
        using (modules["encoder.layers.0.self_attn"].RegisterForwardPreHook((_, inputs) =>
            [inputs[0], inputs[1], Tensor.ZerosLike((Tensor)inputs[2]!), .. inputs[3..]]))
            Assert.NotEqual(plain, model.Forward(src, tgt).ToArray<float>());
    }

    // a hook on a Linear followed by a ReLU stops Sequential fusing them, so the hook sees the pre-activation
    [Fact]
    public void Sequential_runs_hooks_of_its_layers_and_leaves_hooked_layers_unfused()
    {
        var first = new Linear(3, 4, generator: new Generator(4));
        var net = new Sequential(first, new ReLU(), new Linear(4, 1, generator: new Generator(5)));
        Tensor? seen = null;
        using (first.RegisterForwardHook((_, _, output) => { seen = (Tensor)output!; return null; }))
            net.Forward(Tensor.Randn([2, 3], generator: new Generator(6)));
        Assert.NotNull(seen);
        Assert.Equal("Linear", seen!.GradFn!.Name);
        Assert.Contains(seen.ToArray<float>(), v => v < 0);
    }

    [Fact]
    public void Apply_visits_children_before_parents_and_reaches_every_module()
    {
        var net = new Sequential(new Linear(2, 3), new Sequential(new ReLU(), new Linear(3, 1)));
        var order = new List<string>();
        net.Apply(m => order.Add(m.GetType().Name));
        Assert.Equal(["Linear", "ReLU", "Linear", "Sequential", "Sequential"], order);
        net.Apply(m => { if (m is Linear l) l.Weight.Detach().Copy_(Tensor.Full(l.Weight.Shape, 0.5)); });
        Assert.All(net.Parameters().Where(p => p.NDim == 2), p => Assert.All(p.ToArray<float>(), v => Assert.Equal(0.5f,
            v)));
        Assert.Equal(["", "0", "1", "1.0", "1.1"], net.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void To_dtype_converts_parameters_buffers_and_gradients_in_place_but_not_integer_buffers()
    {
        var linear = new Linear(3, 2, generator: new Generator(7));
        var norm = new BatchNorm1d(2);
        var net = new Sequential(linear, norm);
        var before = linear.Weight.ToArray<float>();
        net.Forward(Tensor.Randn([4, 3], generator: new Generator(8))).Sum().Backward();
        var weight = linear.Weight;
        net.To(DType.Float64);
        Assert.Same(weight, linear.Weight);
        Assert.Equal(DType.Float64, linear.Weight.DType);
        Assert.Equal(DType.Float64, linear.Weight.Grad!.DType);
        Assert.True(linear.Weight.RequiresGrad);
        Assert.Equal(before.Select(v => (double)v), linear.Weight.ToArray<double>());
        Assert.Equal(DType.Float64, net.StateDict()["1.running_mean"].DType);
        Assert.Equal(DType.Int64, net.StateDict()["1.num_batches_tracked"].DType);
        var y = net.Forward(Tensor.Randn([4, 3], generator: new Generator(9)).To(DType.Float64));
        Assert.Equal(DType.Float64, y.DType);
        Assert.Throws<ArgumentException>(() => net.To(DType.Int64));
    }

    [Fact]
    public void Frozen_parameters_are_neither_updated_nor_given_state_but_are_saved()
    {
        var first = new Linear(3, 3, generator: new Generator(10));
        var second = new Linear(3, 1, generator: new Generator(11));
        var net = new Sequential(first, new Tanh(), second);
        first.Weight.RequiresGrad_(false);
        first.Bias!.RequiresGrad_(false);
        var frozen = first.Weight.ToArray<float>();
        var trained = second.Weight.ToArray<float>();
        var adam = new Adam(net.Parameters(), lr: 0.1);
        for (int i = 0; i < 3; i++)
        {
            adam.ZeroGrad();
            net.Forward(Tensor.Randn([4, 3], generator: new Generator(12 + i))).Sum().Backward();
            adam.Step();
        }
        Assert.Equal(frozen, first.Weight.ToArray<float>());
        Assert.NotEqual(trained, second.Weight.ToArray<float>());
        Assert.Null(first.Weight.Grad);
        Assert.Equal(0, adam.State(first.Weight).Step);
        Assert.Equal(3, adam.State(second.Weight).Step);
        Assert.Contains("0.weight", net.StateDict().Keys);
    }

    [Fact]
    public void Non_strict_loading_loads_what_fits_and_reports_missing_and_unexpected_keys()
    {
        var source = new Sequential(new Linear(2, 3, generator: new Generator(20)));
        var target = new Sequential(new Linear(2, 3, generator: new Generator(21)), new BatchNorm1d(3));
        var state = source.StateDict();
        state["extra.weight"] = Tensor.Ones([1]);
        var strict = Assert.Throws<InvalidDataException>(() => target.LoadStateDict(state));
        Assert.Contains("missing 1.weight", strict.Message);
        var (missing, unexpected) = target.LoadStateDict(state, strict: false);
        Assert.Equal(["1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"], missing);
        Assert.Equal(["extra.weight"], unexpected);
        Assert.Equal(source.StateDict()["0.weight"].ToArray<float>(), target.StateDict()["0.weight"].ToArray<float>());
        state["0.bias"] = Tensor.Ones([4]);
        Assert.Contains("has shape [4]", Assert.Throws<InvalidDataException>(() => target.LoadStateDict(state,
            strict: false)).Message);
    }
}
