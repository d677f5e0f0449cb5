namespace Backprop.Tests.Scalar;

/// <summary>The numbers printed in the CS231n backpropagation notes, reproduced by the engine.</summary>
public class NotesNumbersTests
{
    [Fact]
    public void AddThenMultiply_MatchesTheNotes()
    {
        var x = new Value(-2); var y = new Value(5); var z = new Value(-4);
        var q = x + y;
        var f = q * z;
        f.Backward();
        Assert.Equal(3, q.Data);
        Assert.Equal(-12, f.Data);
        Assert.Equal(-4, x.Grad);
        Assert.Equal(-4, y.Grad);
        Assert.Equal(3, z.Grad);
        Assert.Equal(-4, q.Grad); // the intermediate wire keeps its gradient, the notes' dq
    }

    [Fact]
    public void MultiplyGate_SwapsItsInputs()
    {
        var c = NotesExamples.Multiply();
        Assert.Equal(-12, c.Output.Data);
        Assert.Equal(-3, c.Inputs[0].Grad);
        Assert.Equal(4, c.Inputs[1].Grad);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SigmoidNeuron_GateByGateAndFused_GiveTheNotesGradients(bool fused)
    {
        var c = fused ? NotesExamples.NeuronFused() : NotesExamples.NeuronGateByGate();
        var byName = c.Inputs.ToDictionary(v => v.Label!);
        Assert.Equal(0.7310585786300049, c.Output.Data, 1e-12);
        Assert.Equal(0.3932238664829637, byName["x0"].Grad, 1e-12);
        Assert.Equal(-0.5898357997244456, byName["x1"].Grad, 1e-12);
        Assert.Equal(-0.19661193324148185, byName["w0"].Grad, 1e-12);
        Assert.Equal(-0.3932238664829637, byName["w1"].Grad, 1e-12);
        Assert.Equal(0.19661193324148185, byName["w2"].Grad, 1e-12);
    }

    [Fact]
    public void StagedExample_MatchesTheNotes()
    {
        var c = NotesExamples.Staged();
        Assert.Equal(1.5456448841066441, c.Output.Data, 1e-12);
        Assert.Equal(2.0595697955721649, c.Inputs[0].Grad, 1e-12);
        Assert.Equal(1.5922327514838093, c.Inputs[1].Grad, 1e-12);
    }

    [Fact]
    public void StagedExample_FromTheParser_MatchesTheNotes()
    {
        var e = Expression.Parse("(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)");
        var (f, inputs) = e.Build(new Dictionary<string, double> { ["x"] = 3, ["y"] = -4 });
        f.Backward();
        Assert.Equal(1.5456448841066441, f.Data, 1e-12);
        Assert.Equal(2.0595697955721649, inputs["x"].Grad, 1e-12);
        Assert.Equal(1.5922327514838093, inputs["y"].Grad, 1e-12);
    }

    [Fact]
    public void PatternsCircuit_AddDistributesMaxRoutesMulSwaps()
    {
        var c = NotesExamples.Patterns();
        var w = c.Wires.ToDictionary(v => v.Label!);
        Assert.Equal(-20, c.Output.Data);
        Assert.Equal(2, w["xy"].Grad);   // add: unchanged
        Assert.Equal(2, w["m"].Grad);
        Assert.Equal(2, w["z"].Grad);    // max: routed to the larger input
        Assert.Equal(0, w["w"].Grad);
        Assert.Equal(-8, w["x"].Grad);   // mul: the other input times the gradient
        Assert.Equal(6, w["y"].Grad);
    }
}
