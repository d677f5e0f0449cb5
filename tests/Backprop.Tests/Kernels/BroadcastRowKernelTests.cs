namespace Backprop.Tests.Kernels;

/// <summary>
/// Arithmetic over the rows of a broadcast (a bias added to every row, a row scaled by a column) runs each operator's
/// vector form inline, whole vectors then the row's tail: every element must equal the scalar rule on its two inputs,
/// bit for bit, in both float dtypes and in Int64 (whose division is true division, computed in Float32).
/// </summary>
public class BroadcastRowKernelTests
{
    public static TheoryData<DType, string> DTypesAndOps()
    {
        var data = new TheoryData<DType, string>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Int64 })
            foreach (var op in new[] { "add", "sub", "mul", "div" })
                data.Add(dtype, op);
        return data;
    }

    [Theory]
    [MemberData(nameof(DTypesAndOps))]
    public void Each_element_is_the_scalar_rule_on_its_inputs(DType dtype, string op)
    {
        var gen = new Generator(9);
        // 37 columns: four whole vectors of floats (two of doubles) and a ragged tail
        var matrix = Positive(Tensor.Randn([5, 37], DType.Float64, gen), dtype);
        var row = Positive(Tensor.Randn([37], DType.Float64, gen), dtype);
        var column = Positive(Tensor.Randn([5, 1], DType.Float64, gen), dtype);
        foreach (var (a, b, name) in new[] { (matrix, row, "matrix ∘ row"), (row, matrix, "row ∘ matrix"),
                     (column, matrix, "column ∘ matrix"), (matrix.T, column.T, "transposed ∘ row") })
        {
            var y = Apply(op, a, b);
            var shape = y.Shape;
            var (ya, aa, bb) = (Values(y), Values(a.Expand(shape)), Values(b.Expand(shape)));
            for (int i = 0; i < ya.Length; i++)
            {
                double expected = Scalar(op, aa[i], bb[i], y.DType);
                Assert.True(expected.Equals(ya[i]), $"{name} {op} [{i}]: {ya[i]} vs {expected}");
            }
        }
    }

    // values away from zero, so division is defined, in the dtype under test
    private static Tensor Positive(Tensor x, DType dtype) => (x.Abs() * 10 + 1).To(dtype);

    private static Tensor Apply(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        _ => a / b,
    };

    // the scalar rule in the result's dtype: float32 results are rounded from float32 inputs
    private static double Scalar(string op, double a, double b, DType result)
    {
        if (result == DType.Float32)
        {
            var (fa, fb) = ((float)a, (float)b);
            return op switch { "add" => fa + fb, "sub" => fa - fb, "mul" => fa * fb, _ => fa / fb };
        }
        if (result == DType.Int64)
        {
            var (la, lb) = ((long)a, (long)b);
            return op switch { "add" => la + lb, "sub" => la - lb, _ => la * lb };
        }
        return op switch { "add" => a + b, "sub" => a - b, "mul" => a * b, _ => a / b };
    }

    private static double[] Values(Tensor x) => x.Contiguous().To(DType.Float64).ToArray<double>();
}
