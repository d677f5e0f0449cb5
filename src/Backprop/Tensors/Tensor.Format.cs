using System.Globalization;
using System.Text;

namespace Backprop;

public sealed partial class Tensor
{
    private const int SummarizeAbove = 1000, EdgeItems = 3, LineWidth = 80;

    /// <summary>
    /// The tensor as PyTorch prints it: <c>tensor([[ 0.1000, -1.2000], ...], requires_grad=True)</c>, one shared
    /// number format for all elements, and only the first and last three entries of each dim beyond 1000 elements.
    /// </summary>
    public override string ToString()
    {
        var values = ToArray<double>();
        var formatter = new ElementFormatter(values, DType, Numel > SummarizeAbove ? SummarizedValues(values) : null);
        var sb = new StringBuilder("tensor(");
        if (shape.Length == 0) sb.Append(formatter.Format(values[0]).Trim());
        else if (Numel == 0) sb.Append("[]");
        else AppendDim(sb, values, 0, 0, Strides0(), formatter, Numel > SummarizeAbove, "tensor(".Length);
        // as PyTorch: a float dtype other than the default is named; integers and Bool read as what they are
        if (DType.IsFloatingPoint() && DType != DefaultDType) sb.Append(", dtype=").Append(DType);
        if (gradFn is not null) sb.Append(", grad_fn=").Append(gradFn);
        else if (RequiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private int[] Strides0() => Shapes.ContiguousStrides(shape);

    // the elements that a summarized print shows, so the shared format fits them only
    private List<double> SummarizedValues(double[] values)
    {
        var shown = new List<double>();
        void Visit(int dim, int at)
        {
            if (dim == shape.Length) { shown.Add(values[at]); return; }
            int stride = Shapes.ContiguousStrides(shape)[dim];
            foreach (int i in ShownIndices(shape[dim], true)) Visit(dim + 1, at + i * stride);
        }
        Visit(0, 0);
        return shown;
    }

    private static IEnumerable<int> ShownIndices(int size, bool summarize)
    {
        if (!summarize || size <= 2 * EdgeItems) { for (int i = 0; i < size; i++) yield return i; yield break; }
        for (int i = 0; i < EdgeItems; i++) yield return i;
        for (int i = size - EdgeItems; i < size; i++) yield return i;
    }

    private void AppendDim(StringBuilder sb, double[] values, int dim, int at, int[] contiguous, ElementFormatter f,
        bool summarize, int indent)
    {
        int size = shape[dim];
        bool elided = summarize && size > 2 * EdgeItems;
        sb.Append('[');
        if (dim == shape.Length - 1)
        {
            // the elision mark counts as an item when lines wrap, as in PyTorch
            int perLine = Math.Max(1, (LineWidth - indent) / (f.Width + 2));
            int written = 0;
            foreach (int i in ShownIndices(size, summarize))
            {
                if (elided && i == size - EdgeItems) AppendItem(sb, " ...", ref written, perLine, indent);
                AppendItem(sb, f.Format(values[at + i * contiguous[dim]]), ref written, perLine, indent);
            }
        }
        else
        {
            string separator = "," + new string('\n', shape.Length - dim - 1) + new string(' ', indent + 1);
            bool first = true;
            foreach (int i in ShownIndices(size, summarize))
            {
                if (!first) sb.Append(separator);
                if (elided && i == size - EdgeItems) sb.Append("...").Append(separator);
                AppendDim(sb, values, dim + 1, at + i * contiguous[dim], contiguous, f, summarize, indent + 1);
                first = false;
            }
        }
        sb.Append(']');
    }

    private static void AppendItem(StringBuilder sb, string item, ref int written, int perLine, int indent)
    {
        if (written > 0) sb.Append(written % perLine == 0 ? ",\n" + new string(' ', indent + 1) : ", ");
        sb.Append(item);
        written++;
    }

    /// <summary>
    /// Chooses one format for all elements as PyTorch does: True and False, integers as "3" (Int64) or "3.", else 4
    /// decimals or scientific.
    /// </summary>
    private sealed class ElementFormatter
    {
        private readonly string _mode;  // "bool", "int", "intfloat", "fixed" or "sci"
        public readonly int Width;

        public ElementFormatter(double[] all, DType dtype, List<double>? shown)
        {
            IEnumerable<double> values = shown ?? (IEnumerable<double>)all;
            if (dtype == DType.Bool) _mode = "bool";
            else if (dtype == DType.Int64) _mode = "int";
            else
            {
                double maxAbs = 0, minAbs = double.PositiveInfinity;
                bool integral = true;
                foreach (double v in values)
                {
                    if (!double.IsFinite(v)) continue;
                    if (v != Math.Ceiling(v)) integral = false;
                    double a = Math.Abs(v);
                    if (a == 0) continue;
                    maxAbs = Math.Max(maxAbs, a);
                    minAbs = Math.Min(minAbs, a);
                }
                bool any = maxAbs > 0;
                if (integral) _mode = any && (maxAbs / minAbs > 1000 || maxAbs > 1e8) ? "sci" : "intfloat";
                else _mode = any && (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) ? "sci" : "fixed";
            }
            int width = 1;
            foreach (double v in values) width = Math.Max(width, Raw(v).Length);
            Width = width;
        }

        private string Raw(double v)
        {
            if (double.IsNaN(v)) return "nan";
            if (double.IsInfinity(v)) return v > 0 ? "inf" : "-inf";
            return _mode switch
            {
                "bool" => v != 0 ? "True" : "False",
                "int" => ((long)v).ToString(CultureInfo.InvariantCulture),
                "intfloat" => v.ToString("0", CultureInfo.InvariantCulture) + ".",
                "fixed" => v.ToString("0.0000", CultureInfo.InvariantCulture),
                _ => v.ToString("0.0000e+00", CultureInfo.InvariantCulture),
            };
        }

        public string Format(double v) => Raw(v).PadLeft(Width);
    }
}
