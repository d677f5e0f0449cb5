namespace Backprop;

/// <summary>
/// Collapse rule for tensor graphs (as in a deep MLP's Linear→ReLU layers): follow the spine from the output, each
/// op to its deepest input; where a block of 1 to <see cref="MaxBlock"/> consecutive spine ops repeats at least
/// <see cref="MinRepeats"/> times with the same ops, output shapes and kinds and shapes of side inputs (a weight's
/// transpose, a bias), the whole run is drawn as one node "ops ×N". A run is collapsed only when nothing outside it
/// uses a tensor made inside it, so no drawn wire is lost; the parameters feeding the run are not drawn.
/// </summary>
internal static class RepeatedBlocks
{
    public const int MaxBlock = 6, MinRepeats = 3;

    /// <summary>
    /// Collapses the runs in <paramref name="nodes"/> (topological order) in place; returns, for each node drawn for a
    /// run, how many ops of one block it shows.
    /// </summary>
    public static Dictionary<LayoutNode, int> Collapse(List<LayoutNode> nodes, ref LayoutNode output,
        Func<LayoutNode, string> opName, Func<LayoutNode, string> inputKey)
    {
        var blockOps = new Dictionary<LayoutNode, int>();
        var consumers = nodes.ToDictionary(n => n, _ => new List<LayoutNode>());
        var depth = new Dictionary<LayoutNode, int>();
        foreach (var n in nodes)
        {
            foreach (var i in n.Inputs) consumers[i].Add(n);
            depth[n] = n.Inputs.Count == 0 ? 0 : 1 + n.Inputs.Max(i => depth[i]);
        }
        var spine = new List<LayoutNode>();
        var main = new Dictionary<LayoutNode, LayoutNode>();
        for (var n = output; n.Kind == NodeKind.Gate; n = main[n])
        {
            spine.Add(n);
            main[n] = n.Inputs.MaxBy(i => depth[i])!;
        }
        var onSpine = spine.ToHashSet();
        string Key(LayoutNode n) => n.Kind == NodeKind.Input ? inputKey(n) : n.Label;
        var signature = spine.Select(n => Key(n) + "(" + string.Join(",", n.Inputs.Select(i =>
            ReferenceEquals(i, main[n]) && i.Kind != NodeKind.Input ? "spine"
            : Key(i) + "(" + string.Join(",", i.Inputs.Select(Key)) + ")")) + ")").ToList();

        for (int at = 0; at < spine.Count;)
        {
            var (period, repeats) = LongestRun(signature, at);
            var members = repeats >= MinRepeats ? Members(spine, at, period * repeats, onSpine) : null;
            var top = spine[at];
            if (members is null) { at++; continue; }
            // a tensor of the run used outside it: draw the run in full (skipping it keeps the search linear)
            if (members.Any(m => m != top && consumers[m].Any(c => !members.Contains(c))))
            {
                at += period * repeats; continue;
            }

            var bottom = spine[at + period * repeats - 1];
            var block = Enumerable.Range(at, period).Reverse().Select(k => opName(spine[k]));
            var run = new LayoutNode(NodeKind.Chain, top.Wire,
                $"{string.Join("→", block)} ×{repeats} {top.Label.Split(' ')[^1]}");
            run.Inputs.Add(main[bottom]);
            consumers[run] = consumers[top];
            consumers[main[bottom]].Add(run);
            blockOps[run] = Members(spine, at, period, onSpine)!.Count;
            foreach (var c in consumers[top])
                for (int p = 0; p < c.Inputs.Count; p++) if (ReferenceEquals(c.Inputs[p], top)) c.Inputs[p] = run;
            if (ReferenceEquals(top, output)) output = run;
            nodes[nodes.IndexOf(top)] = run;
            nodes.RemoveAll(members.Contains);
            at += period * repeats;
        }
        return blockOps;
    }

    // the block length (and its repeat count) covering the most spine ops from `at` on
    private static (int Period, int Repeats) LongestRun(List<string> signature, int at)
    {
        var best = (Period: 1, Repeats: 1);
        for (int period = 1; period <= MaxBlock && at + period <= signature.Count; period++)
        {
            int repeats = 1;
            while (at + (repeats + 1) * period <= signature.Count &&
                   Enumerable.Range(0, period).All(k => signature[at + repeats * period + k] == signature[at + k]))
                repeats++;
            if (repeats >= MinRepeats && period * repeats > best.Period * best.Repeats) best = (period, repeats);
        }
        return best;
    }

    // the spine ops spine[at..at+count) and every op feeding them off the spine (iteratively)
    private static HashSet<LayoutNode> Members(List<LayoutNode> spine, int at, int count, HashSet<LayoutNode> onSpine)
    {
        var members = new HashSet<LayoutNode>();
        var stack = new Stack<LayoutNode>(spine.GetRange(at, count));
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!members.Add(n)) continue;
            foreach (var i in n.Inputs)
                if (i.Kind == NodeKind.Gate && !onSpine.Contains(i)) stack.Push(i);
        }
        return members;
    }
}
