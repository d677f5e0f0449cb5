using System.Net;
using System.Text;

namespace Backprop.Interactive;

/// <summary>
/// A tensor as an HTML table: a caption with its shape and dtype, one row per index of its leading dims and one
/// column per index of its last dim, then its gradient the same way. Above 1000 elements only the first and last
/// three indices of each dim are shown, as <see cref="Tensor.ToString"/> does.
/// </summary>
public static class TensorTable
{
    private const int SummarizeAbove = 1000, EdgeItems = 3, SignificantDigits = 6;

    /// <summary>The HTML of <paramref name="tensor"/> and, when it has one, of its gradient.</summary>
    public static string Html(Tensor tensor)
    {
        var html = new StringBuilder("<div class=\"backprop-tensor\">");
        AppendTable(html, tensor, Caption(tensor), "values");
        if (tensor.Grad is { } grad) AppendTable(html, grad, $"grad {ShapeText(grad)}", "grad");
        return html.Append("</div>").ToString();
    }

    private static string Caption(Tensor tensor)
    {
        var caption = new StringBuilder($"tensor {ShapeText(tensor)} {tensor.DType}");
        if (tensor.GradFn is { } gradFn) caption.Append(", grad_fn=").Append(gradFn);
        else if (tensor.RequiresGrad) caption.Append(", requires_grad");
        return caption.ToString();
    }

    private static string ShapeText(Tensor tensor) => "[" + string.Join(", ", tensor.Shape) + "]";

    private static void AppendTable(StringBuilder html, Tensor tensor, string caption, string role)
    {
        int[] shape = tensor.Shape;
        double[] values = tensor.ToArray<double>();
        bool summarize = tensor.Numel > SummarizeAbove;
        html.Append($"<table class=\"{role}\"><caption>").Append(WebUtility.HtmlEncode(caption)).Append("</caption>");
        if (shape.Length == 0)
        {
            html.Append("<tr><td>").Append(Format.Number(values[0], SignificantDigits)).Append("</td></tr></table>");
            return;
        }
        int columns = shape[^1];
        var shownColumns = Shown(columns, summarize).ToList();
        html.Append("<tr><th></th>");
        foreach (int c in shownColumns) html.Append(c < 0 ? "<th>…</th>" : $"<th>{c}</th>");
        html.Append("</tr>");
        foreach (var row in Rows(shape[..^1], summarize))
        {
            if (row is null)
            {
                html.Append("<tr><th>⋮</th>").Append(string.Concat(shownColumns.Select(_ => "<td>⋮</td>")))
                    .Append("</tr>");
                continue;
            }
            int offset = 0;
            for (int d = 0; d < row.Length; d++) offset = offset * shape[d] + row[d];
            html.Append("<tr><th>").Append(row.Length == 0 ? "" : "[" + string.Join(", ", row) + "]").Append("</th>");
            foreach (int c in shownColumns)
                html.Append("<td>").Append(c < 0 ? "…"
                    : Format.Number(values[offset * columns + c], SignificantDigits)).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</table>");
    }

    // the indices of one dim that are shown, -1 standing for the elided middle
    private static IEnumerable<int> Shown(int size, bool summarize)
    {
        if (!summarize || size <= 2 * EdgeItems) { for (int i = 0; i < size; i++) yield return i; yield break; }
        for (int i = 0; i < EdgeItems; i++) yield return i;
        yield return -1;
        for (int i = size - EdgeItems; i < size; i++) yield return i;
    }

    // the index tuples of the leading dims, in row-major order; null marks a run of elided rows
    private static IEnumerable<int[]?> Rows(int[] leading, bool summarize)
    {
        if (leading.Length == 0) { yield return []; yield break; }
        foreach (int i in Shown(leading[0], summarize))
        {
            if (i < 0) { yield return null; continue; }
            foreach (var rest in Rows(leading[1..], summarize))
                yield return rest is null ? null : [i, .. rest];
        }
    }
}
