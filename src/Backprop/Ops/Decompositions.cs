namespace Backprop;

// Square-matrix algebra by factorizations written as loops of tensor ops over the columns (batched over leading
// dims), so they run on every backend and their gradients are the chain rule through those ops: LU with partial
// pivoting (a Gather for each row swap and an update of the rows below), on which Solve, Inv, Det and Slogdet are
// built, Cholesky, and QR by Householder reflections.
public sealed partial class Tensor
{
    // the factors of P·A = L·U for a batch of square matrices: U, the unit-lower L, and the sign of P per matrix
    private static (Tensor L, Tensor U, Tensor Permutation, Tensor Sign) Lu(string op, Tensor a)
    {
        Op.RequireFloat(op, a);
        if (a.NDim < 2 || a.shape[^1] != a.shape[^2])
            throw new ArgumentException($"{op}: needs square matrices [..., n, n], got {Op.Describe(a)}");
        int n = a.shape[^1];
        int[] batch = a.shape[..^2];
        var rows = Arange(n, DType.Int64).To(a.Device);
        var permutation = rows.Expand([.. batch, n]).Contiguous();
        var sign = Ones(batch, a.DType, device: a.Device);
        var u = a;
        var l = Zeros(a.shape, a.DType, device: a.Device);
        for (int k = 0; k < n; k++)
        {
            Tensor swap;
            using (Autograd.NoGrad())
            {
                // the pivot: the row at or below k with the largest magnitude in column k
                var pivot = u.Select(-1, k).Narrow(-1, k, n - k).Abs().ArgMax(-1, keepDim: true) + k;
                swap = Where(rows.Eq((long)k), pivot, Where(rows.Eq(pivot), Op.Scalar(k, pivot), rows));
                sign = Where(pivot.Squeeze(-1).Eq((long)k), sign, -sign);
                permutation = permutation.Gather(-1, swap);
            }
            var rowIndex = swap.Unsqueeze(-1).Expand(a.shape);
            u = u.Gather(-2, rowIndex);
            l = l.Gather(-2, rowIndex);
            if (k == n - 1) break;
            var pivotRow = u.Narrow(-2, k, 1);
            var multipliers = u.Narrow(-2, k + 1, n - k - 1).Narrow(-1, k, 1) / pivotRow.Narrow(-1, k, 1);
            u = Cat([u.Narrow(-2, 0, k + 1), u.Narrow(-2, k + 1, n - k - 1) - multipliers * pivotRow], -2);
            var column = Cat([Zeros([.. batch, k + 1, 1], a.DType, device: a.Device), multipliers], -2);
            var right = l.Narrow(-1, k + 1, n - k - 1);
            l = Cat(k == 0 ? [column, right] : [l.Narrow(-1, 0, k), column, right], -1);
        }
        var eye = Diag(Ones([n], a.DType, device: a.Device));
        return (l + eye, u, permutation, sign);
    }

    /// <summary>
    /// The solution X of A·X = B for square A [..., n, n] and B [..., n, k] (or a vector [..., n]), by LU with
    /// partial pivoting; gradients reach A and B.
    /// </summary>
    public static Tensor Solve(Tensor a, Tensor b)
    {
        // as torch.linalg.solve: B is a batch of vectors when it is one, or has exactly A's shape less its last dim
        bool vector = b.NDim == 1 || (b.NDim == a.NDim - 1 && Shapes.Equal(b.shape, a.shape[..^1]));
        var rhs = vector ? b.Unsqueeze(-1) : b;
        if (rhs.NDim < 2 || rhs.shape[^2] != a.shape[^1])
            throw new ArgumentException($"Solve: B {Op.Describe(b)} does not fit A {Op.Describe(a)}: it needs " +
                $"{a.shape[^1]} rows");
        var (l, u, permutation, _) = Lu("Solve", a);
        int n = a.shape[^1];
        int[] batch = Shapes.Broadcast("Solve", a.shape[..^2], rhs.shape[..^2]);
        rhs = rhs.Expand([.. batch, n, rhs.shape[^1]]);
        var permuted = rhs.Gather(-2, permutation.Expand([.. batch, n]).Unsqueeze(-1).Expand(rhs.shape));
        // forward substitution with the unit-lower L, then back substitution with U, one row at a time
        var y = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            var row = permuted.Narrow(-2, i, 1);
            for (int j = 0; j < i; j++) row = row - l.Narrow(-2, i, 1).Narrow(-1, j, 1) * y[j];
            y[i] = row;
        }
        var x = new Tensor[n];
        for (int i = n - 1; i >= 0; i--)
        {
            var row = y[i];
            for (int j = i + 1; j < n; j++) row = row - u.Narrow(-2, i, 1).Narrow(-1, j, 1) * x[j];
            x[i] = row / u.Narrow(-2, i, 1).Narrow(-1, i, 1);
        }
        var solution = Cat(x, -2);
        return vector ? solution.Squeeze(-1) : solution;
    }

    /// <summary>
    /// The lower-triangular L with L·Lᵀ = A for symmetric positive-definite A [..., n, n], column by column; A's
    /// upper triangle is not read, so its gradient lands on the lower triangle (PyTorch splits it symmetrically;
    /// through a symmetric A both agree). A matrix that is not positive-definite is refused, naming the minor.
    /// </summary>
    public static Tensor Cholesky(Tensor a)
    {
        Op.RequireFloat("Cholesky", a);
        if (a.NDim < 2 || a.shape[^1] != a.shape[^2])
            throw new ArgumentException($"Cholesky: needs square matrices [..., n, n], got {Op.Describe(a)}");
        int n = a.shape[^1];
        var columns = new Tensor[n];
        for (int j = 0; j < n; j++)
        {
            // column j below the diagonal less the products of the columns already found
            var rest = a.Narrow(-1, j, 1).Narrow(-2, j, n - j);
            if (j > 0)
            {
                var done = Cat(columns[..j], -1);
                rest = rest - done.Narrow(-2, j, n - j).MatMul(done.Narrow(-2, j, 1).MT);
            }
            var pivot = rest.Narrow(-2, 0, 1).Sqrt();
            var column = rest / pivot;
            var above = Zeros([.. a.shape[..^2], j, 1], a.DType, device: a.Device);
            columns[j] = j == 0 ? column : Cat([above, column], -2);
        }
        var l = Cat(columns, -1);
        var diagonal = l.Diagonal(0, -2, -1).Reshape(-1, n).ToArray<double>();
        for (int i = 0; i < diagonal.Length; i++)
            if (!(diagonal[i] > 0))
                throw new ArgumentException($"Cholesky: the input {Op.Describe(a)} is not positive-definite (the " +
                    $"leading minor of order {i % n + 1} is not)");
        return l;
    }

    /// <summary>The inverse of square matrices [..., n, n]: the solution of A·X = I.</summary>
    public static Tensor Inv(Tensor a)
    {
        if (a.NDim < 2) throw new ArgumentException($"Inv: needs square matrices [..., n, n], got {Op.Describe(a)}");
        return Solve(a, Diag(Ones([a.shape[^1]], a.DType, device: a.Device)));
    }

    /// <summary>The determinant of square matrices [..., n, n]: the sign of the pivoting times U's diagonal.</summary>
    public static Tensor Det(Tensor a)
    {
        var (_, u, _, sign) = Lu("Det", a);
        return sign * u.Diagonal(0, -2, -1).Prod(-1);
    }

    /// <summary>
    /// The sign and the log of the absolute value of the determinant (torch.linalg.slogdet), which stay in range
    /// where the determinant itself would overflow or underflow.
    /// </summary>
    public static (Tensor Sign, Tensor LogAbsDet) Slogdet(Tensor a)
    {
        var (_, u, _, sign) = Lu("Slogdet", a);
        var diagonal = u.Diagonal(0, -2, -1);
        Tensor signs;
        using (Autograd.NoGrad()) signs = sign * Sign(diagonal).Prod(-1);
        return (signs, diagonal.Abs().Log().Sum([-1]));
    }

    /// <summary>
    /// The reduced QR decomposition of A [..., m, n] (torch.linalg.qr, mode "reduced"): Q [..., m, k] with
    /// orthonormal columns and upper-triangular R [..., k, n], k = min(m, n), A = Q·R. Householder reflections
    /// choose R's signs as LAPACK does (a column already zero below its diagonal is not reflected), so Q and R are
    /// PyTorch's; gradients reach A through the reflections (defined where A's leading k columns have full rank).
    /// </summary>
    public static (Tensor Q, Tensor R) Qr(Tensor a)
    {
        Op.RequireFloat("Qr", a);
        if (a.NDim < 2) throw new ArgumentException($"Qr: needs matrices [..., m, n], got {Op.Describe(a)}");
        int m = a.shape[^2], n = a.shape[^1], k = Math.Min(m, n);
        var rows = Arange(m, DType.Int64).To(a.Device);
        var r = a;
        var reflectors = new List<(Tensor V, Tensor Tau)>();
        // the last row has nothing below its diagonal to reflect
        for (int j = 0; j < Math.Min(m - 1, n); j++)
        {
            var column = r.Select(-1, j);
            var alpha = column.Narrow(-1, j, 1);
            var below = column * rows.Gt((long)j).To(a.DType);
            var belowSquared = (below * below).Sum([-1], keepDim: true);
            Tensor reflect, signOfAlpha;
            using (Autograd.NoGrad())
            {
                reflect = belowSquared.Gt(0);
                signOfAlpha = Where(alpha.Ge(0), Op.Scalar(1, alpha), Op.Scalar(-1, alpha));
            }
            // H = I − τ·v·vᵀ maps the column to β·e_j with β = −sign(α)·‖column‖, avoiding
            // cancellation in α − β
            var diagonal = alpha + signOfAlpha * (alpha * alpha + belowSquared).Sqrt();
            var v = below + diagonal * rows.Eq((long)j).To(a.DType);
            var vv = Where(reflect, belowSquared + diagonal * diagonal, Op.Scalar(1, alpha));
            var tau = Where(reflect, 2 / vv, Op.Scalar(0, alpha));
            r = r - (tau * v).Unsqueeze(-1) * v.Unsqueeze(-2).MatMul(r);
            reflectors.Add((v, tau));
        }
        // Q's first k columns: the reflections applied to those of the identity, the last first
        var q = Diag(Ones([m], a.DType, device: a.Device)).Narrow(-1, 0, k);
        for (int j = reflectors.Count - 1; j >= 0; j--)
        {
            var (v, tau) = reflectors[j];
            q = q - (tau * v).Unsqueeze(-1) * v.Unsqueeze(-2).MatMul(q);
        }
        if (q.NDim < a.NDim) q = q.Expand([.. a.shape[..^2], m, k]);
        return (q, r.Narrow(-2, 0, k).Triu());
    }
}
