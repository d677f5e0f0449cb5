namespace Backprop;

// Einstein summation as torch.einsum: the equation's labels name dims; a label repeated within an operand takes
// its diagonal, labels that nothing later needs are summed away, and the operands are contracted left to right,
// each pair as one batched matrix product. Built from Diagonal, Sum, Permute, Expand, Reshape and MatMul, so its
// gradient comes from theirs.
public sealed partial class Tensor
{
    private const int EllipsisLabel = 64;   // labels 0..51 are letters; an ellipsis's dims count up from here

    /// <summary>
    /// Sums products of the operands' elements as <paramref name="equation"/> says, as torch.einsum: "ij,jk->ik"
    /// is a matrix product, "bij->bji" a transpose, "ii->i" a diagonal, "i,i->" a dot product; "..." stands for
    /// broadcast dims, and without "->" the output has the ellipsis dims and then each label used once, in order.
    /// </summary>
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        var spec = equation.Replace(" ", "");
        int arrow = spec.IndexOf("->", StringComparison.Ordinal);
        var inputs = (arrow < 0 ? spec : spec[..arrow]).Split(',');
        if (inputs.Length != operands.Length)
            throw new ArgumentException($"Einsum: \"{equation}\" has {inputs.Length} operands, but " +
                $"{operands.Length} tensors were given");
        int ellipsisRank = 0;
        var labels = new List<int>[operands.Length];
        for (int i = 0; i < operands.Length; i++)
            labels[i] = Labels(equation, inputs[i], operands[i].NDim, ref ellipsisRank, i);
        for (int i = 0; i < operands.Length; i++) AlignEllipsis(labels[i], ellipsisRank);
        var output = arrow >= 0 ? OutputLabels(equation, spec[(arrow + 2)..], ellipsisRank, labels)
            : ImplicitOutput(labels, ellipsisRank);

        var sizes = new Dictionary<int, int>();
        var terms = new List<(Tensor X, List<int> Labels)>();
        for (int i = 0; i < operands.Length; i++)
        {
            var (x, own) = TakeDiagonals(operands[i], labels[i]);
            for (int k = 0; k < own.Count; k++)
            {
                int size = x.Shape[k], known = sizes.GetValueOrDefault(own[k], 1);
                if (size != 1 && known != 1 && size != known)
                    throw new ArgumentException($"Einsum: label {LabelName(own[k])} of \"{equation}\" has sizes " +
                        $"{known} and {size}");
                sizes[own[k]] = Math.Max(size, known);
            }
            terms.Add((x, own));
        }

        var (result, resultLabels) = terms[0];
        (result, resultLabels) = SumUnneeded(result, resultLabels, Needed(output, terms, 1, null));
        for (int i = 1; i < terms.Count; i++)
        {
            var later = Needed(output, terms, i + 1, null);
            var (b, bLabels) = SumUnneeded(terms[i].X, terms[i].Labels, Needed(output, terms, i + 1, resultLabels));
            (result, resultLabels) = SumUnneeded(result, resultLabels, Needed(output, terms, i + 1, bLabels));
            (result, resultLabels) = Contract(result, resultLabels, b, bLabels, later, sizes);
        }
        var order = output.Select(l => resultLabels.IndexOf(l)).ToArray();
        return order.Length == 0 ? result.Reshape([]) : result.Permute(order);
    }

    // the labels of one operand; its ellipsis gets labels counted from the right, aligned later
    private static List<int> Labels(string equation, string term, int rank, ref int ellipsisRank, int operand)
    {
        int dots = term.IndexOf("...", StringComparison.Ordinal);
        var letters = term.Replace("...", "");
        int explicitDims = letters.Length;
        if (dots < 0 ? explicitDims != rank : explicitDims > rank)
            throw new ArgumentException($"Einsum: operand {operand} of \"{equation}\" has {rank} dims, but " +
                $"\"{term}\" " +
                $"names {explicitDims}{(dots < 0 ? "" : " plus an ellipsis")}");
        var result = new List<int>();
        foreach (var c in dots < 0 ? term : term[..dots]) result.Add(LetterLabel(equation, c));
        if (dots >= 0)
        {
            int broadcast = rank - explicitDims;
            ellipsisRank = Math.Max(ellipsisRank, broadcast);
            for (int k = 0; k < broadcast; k++) result.Add(-(broadcast - k));   // -1 is the last ellipsis dim
            foreach (var c in term[(dots + 3)..]) result.Add(LetterLabel(equation, c));
        }
        return result;
    }

    // ellipsis dims broadcast aligned right: -1 becomes the last of ellipsisRank labels
    private static void AlignEllipsis(List<int> labels, int ellipsisRank)
    {
        for (int k = 0; k < labels.Count; k++)
            if (labels[k] < 0) labels[k] = EllipsisLabel + ellipsisRank + labels[k];
    }

    private static List<int> OutputLabels(string equation, string term, int ellipsisRank, List<int>[] inputs)
    {
        var result = new List<int>();
        int dots = term.IndexOf("...", StringComparison.Ordinal);
        foreach (var c in dots < 0 ? term : term[..dots]) result.Add(LetterLabel(equation, c));
        if (dots >= 0)
        {
            for (int k = 0; k < ellipsisRank; k++) result.Add(EllipsisLabel + k);
            foreach (var c in term[(dots + 3)..]) result.Add(LetterLabel(equation, c));
        }
        foreach (var l in result)
        {
            if (result.Count(o => o == l) > 1)
                throw new ArgumentException($"Einsum: the output of \"{equation}\" names {LabelName(l)} twice");
            if (!inputs.Any(i => i.Contains(l)))
                throw new ArgumentException(
                    $"Einsum: the output of \"{equation}\" names {LabelName(l)}, which no operand has");
        }
        return result;
    }

    private static List<int> ImplicitOutput(List<int>[] inputs, int ellipsisRank)
    {
        var all = inputs.SelectMany(l => l).ToList();
        var once = all.Where(l => l < EllipsisLabel && all.Count(o => o == l) == 1).Order();
        return [.. Enumerable.Range(EllipsisLabel, ellipsisRank), .. once];
    }

    private static int LetterLabel(string equation, char c) => c switch
    {
        >= 'a' and <= 'z' => c - 'a',
        >= 'A' and <= 'Z' => 26 + c - 'A',
        _ => throw new ArgumentException($"Einsum: \"{equation}\" has '{c}'; labels are letters, with \"...\", " +
            "\",\" and \"->\" between them"),
    };

    private static string LabelName(int label) => label >= EllipsisLabel ? "an ellipsis dim"
        : $"'{(char)(label < 26 ? 'a' + label : 'A' + label - 26)}'";

    // a label repeated within an operand selects that operand's diagonal
    private static (Tensor, List<int>) TakeDiagonals(Tensor x, List<int> labels)
    {
        labels = [.. labels];
        for (int i = 0; i < labels.Count; i++)
        {
            int j = labels.IndexOf(labels[i], i + 1);
            if (j < 0) continue;
            if (x.Shape[i] != x.Shape[j])
                throw new ArgumentException($"Einsum: label {LabelName(labels[i])} repeats in one operand over sizes " +
                    $"{x.Shape[i]} and {x.Shape[j]}");
            x = Diagonal(x, 0, i, j);
            int label = labels[i];
            labels.RemoveAt(j);
            labels.RemoveAt(i);
            labels.Add(label);
            i = -1;
        }
        return (x, labels);
    }

    // the labels that the output, the terms from `from` on, and `also` still use
    private static HashSet<int> Needed(List<int> output, List<(Tensor X, List<int> Labels)> terms, int from,
        List<int>? also)
    {
        var needed = new HashSet<int>(output);
        for (int i = from; i < terms.Count; i++) needed.UnionWith(terms[i].Labels);
        if (also is not null) needed.UnionWith(also);
        return needed;
    }

    private static (Tensor, List<int>) SumUnneeded(Tensor x, List<int> labels, HashSet<int> needed)
    {
        var dims = Enumerable.Range(0, labels.Count).Where(k => !needed.Contains(labels[k])).ToArray();
        if (dims.Length == 0) return (x, labels);
        return (x.Sum(dims), [.. labels.Where(l => needed.Contains(l))]);
    }

    // a ⊗ b summed over their shared labels that nothing later needs, as one batched matrix product
    private static (Tensor, List<int>) Contract(Tensor a, List<int> aLabels, Tensor b, List<int> bLabels,
        HashSet<int> later, Dictionary<int, int> sizes)
    {
        var shared = aLabels.Intersect(bLabels).ToList();
        var batch = shared.Where(later.Contains).ToList();
        var summed = shared.Where(l => !later.Contains(l)).ToList();
        var aOnly = aLabels.Except(bLabels).ToList();
        var bOnly = bLabels.Except(aLabels).ToList();
        var left = Arrange(a, aLabels, [.. batch, .. aOnly, .. summed], sizes, aOnly);
        var right = Arrange(b, bLabels, [.. batch, .. summed, .. bOnly], sizes, bOnly);
        int Product(List<int> ls, Tensor t, List<int> order) =>
            ls.Aggregate(1, (p, l) => p * t.Shape[order.IndexOf(l)]);
        List<int> leftOrder = [.. batch, .. aOnly, .. summed], rightOrder = [.. batch, .. summed, .. bOnly];
        int nb = Product(batch, left, leftOrder), m = Product(aOnly, left, leftOrder);
        int k = Product(summed, left, leftOrder), n = Product(bOnly, right, rightOrder);
        var product = left.Reshape(nb, m, k).MatMul(right.Reshape(nb, k, n));
        int[] shape = [.. batch.Select(l => sizes[l]), .. aOnly.Select(l => left.Shape[leftOrder.IndexOf(l)]),
            .. bOnly.Select(l => right.Shape[rightOrder.IndexOf(l)])];
        return (product.Reshape(shape), [.. batch, .. aOnly, .. bOnly]);
    }

    // x permuted to `order`, its shared dims broadcast to their full sizes (its own dims keep theirs)
    private static Tensor Arrange(Tensor x, List<int> labels, List<int> order, Dictionary<int, int> sizes,
        List<int> own)
    {
        var permuted = x.Permute([.. order.Select(l => labels.IndexOf(l))]);
        return permuted.Expand([.. order.Select((l, k) => own.Contains(l) ? permuted.Shape[k] : sizes[l])]);
    }
}
