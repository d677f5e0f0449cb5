namespace Backprop;

/// <summary>How a circuit is drawn: number precision, an optional title, and when large circuits are
/// collapsed.</summary>
public sealed record VizOptions
{
    /// <summary>Significant digits of the values and gradients written on the wires (1 to 17; default 4).</summary>
    public int Digits { get; init; } = 4;

    /// <summary>A title drawn above the circuit (as in the formula), or null for none.</summary>
    public string? Title { get; init; }

    /// <summary>
    /// Circuits with more gates than this are collapsed (see <see cref="Viz"/>): chains of single-input gates become
    /// one node, and at most this many gate nodes, the ones nearest the output, are drawn. Default 400.
    /// </summary>
    public int CollapseAbove { get; init; } = 400;

    internal void Validate()
    {
        if (Digits is < 1 or > 17) throw new ArgumentOutOfRangeException(nameof(Digits), Digits,
            "significant digits must be 1 to 17");
        if (CollapseAbove < 1) throw new ArgumentOutOfRangeException(nameof(CollapseAbove), CollapseAbove,
            "must be at least 1 gate");
    }
}
