using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// What a product does to C once an element's sum is whole: add a bias (one per column of C for a linear layer, one
/// per row for a convolution's output channels), then clamp at zero for a ReLU. The packed path applies it to each
/// tile as the tile's last slice of k is stored, while the tile is still in L1; every element gets the bits of the
/// plain product followed by the tensor ops (sum + bias, then ReLU), so the order of the work never shows.
/// </summary>
internal readonly unsafe struct GemmEpilogue<T>(T* bias, bool biasPerRow, bool relu)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether there is anything to do.</summary>
    public bool IsNone => bias == null && !relu;

    /// <summary>
    /// Applies the epilogue to the <paramref name="rows"/> × <paramref name="columns"/> block of C at
    /// <paramref name="c"/> (row stride <paramref name="ldc"/>), whose first element is (<paramref name="row0"/>,
    /// <paramref name="column0"/>) of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Apply(T* c, nint ldc, int row0, int rows, int column0, int columns)
    {
        int w = Vector256<T>.Count, vectorColumns = columns - columns % w;
        bool columnBias = bias != null && !biasPerRow, rowBias = bias != null && biasPerRow;
        // with no bias the sum is left as it is (x + 0 would turn −0 into +0)
        for (int j = 0; j < vectorColumns; j += w)
        {
            var add = columnBias ? Vector256.Load(bias + column0 + j) : default;
            T* at = c + j;
            for (int r = 0; r < rows; r++, at += ldc)
            {
                var sum = Vector256.Load(at);
                if (columnBias) sum += add;
                else if (rowBias) sum += Vector256.Create(bias[row0 + r]);
                Finish(sum).Store(at);
            }
        }
        // the columns past the last whole vector (all of a narrow C, such as a classifier's scores) one at a time down
        // the rows, with the kind of bias chosen once per column rather than per element
        for (int j = vectorColumns; j < columns; j++)
        {
            T* at = c + j;
            if (columnBias)
            {
                T add = bias[column0 + j];
                for (int r = 0; r < rows; r++, at += ldc) *at = Finish(*at + add);
            }
            else if (rowBias) for (int r = 0; r < rows; r++, at += ldc) *at = Finish(*at + bias[row0 + r]);
            else for (int r = 0; r < rows; r++, at += ldc) *at = Finish(*at);
        }
    }

    private Vector256<T> Finish(Vector256<T> sum) => relu ? ReluOp<T>.Apply(sum) : sum;

    // one element through the vector rule (the scalar rule's bits): no branch on the sign, which is data and
    // mispredicts
    private T Finish(T sum) => relu ? ReluOp<T>.Apply(Vector256.CreateScalarUnsafe(sum)).ToScalar() : sum;
}
