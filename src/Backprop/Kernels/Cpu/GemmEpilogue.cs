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
internal readonly unsafe struct GemmEpilogue<T>(T* bias, bool biasPerRow, bool relu) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether there is anything to do.</summary>
    public bool IsNone => bias == null && !relu;

    /// <summary>
    /// Applies the epilogue to the <paramref name="rows"/> × <paramref name="columns"/> block of C at <paramref name="c"/>
    /// (row stride <paramref name="ldc"/>), whose first element is (<paramref name="row0"/>, <paramref name="column0"/>) of C.
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
        for (int j = vectorColumns; j < columns; j++)
            for (int r = 0; r < rows; r++)
            {
                T* at = c + r * ldc + j;
                *at = Finish(columnBias ? *at + bias[column0 + j] : rowBias ? *at + bias[row0 + r] : *at);
            }
    }

    private Vector256<T> Finish(Vector256<T> sum) => relu ? ReluOp<T>.Apply(sum) : sum;
    private T Finish(T sum) => relu ? ReluOp<T>.Apply(sum, T.Zero, T.Zero) : sum;
}
