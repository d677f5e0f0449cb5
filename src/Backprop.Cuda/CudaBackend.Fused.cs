using Backprop.Kernels;

namespace Backprop.Cuda;

// The CPU engine's fused layer kernels (Linear, one-group Conv2d), composed here from the device's batched matrix
// product, elementwise add and reduction over strided views of the same storage, so no data leaves the device.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    void IBackend.Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y)
    {
        try
        {
            int outFeatures = weight.shape[0], inFeatures = weight.shape[1];
            int rows = outFeatures == 0 ? 0 : y.Numel / outFeatures;
            if (rows == 0 || outFeatures == 0) return;
            var rowsOfX = Contiguous(x);
            var a = new Tensor(rowsOfX.storage, [rows, inFeatures], [inFeatures, 1], rowsOfX.offset);
            var weightT = new Tensor(weight.storage, [inFeatures, outFeatures], [weight.strides[1], weight.strides[0]],
                weight.offset);
            var product = new Tensor(y.storage, [rows, outFeatures], [outFeatures, 1], y.offset);
            Self.MatMul(a, weightT, product);
            if (bias is not null) AddInPlace(product,
                new Tensor(bias.storage, [rows, outFeatures], [0, bias.strides[0]], bias.offset));
        }
        finally { GC.KeepAlive(x); GC.KeepAlive(weight); GC.KeepAlive(bias); GC.KeepAlive(y); }
    }

    /// <inheritdoc/>
    void IBackend.Conv2d(Tensor columns, Tensor weight, Tensor? bias, Window2d window, Tensor y)
    {
        try
        {
            int n = y.shape[0], o = y.shape[1], p = y.shape[2] * y.shape[3], k = columns.shape[0];
            if (y.Numel == 0) return;
            // y[s] = weight · columns[:, sample s]: the weight repeats over samples (batch stride 0)
            var weights = new Tensor(weight.storage, [n, o, k], [0, weight.strides[0], weight.strides[1]],
                weight.offset);
            var samples = new Tensor(columns.storage, [n, k, p], [p, n * p, 1], columns.offset);
            var output = new Tensor(y.storage, [n, o, p], [o * p, p, 1], y.offset);
            Self.MatMul(weights, samples, output);
            if (bias is not null) AddInPlace(output,
                new Tensor(bias.storage, [n, o, p], [0, bias.strides[0], 0], bias.offset));
        }
        finally { GC.KeepAlive(columns); GC.KeepAlive(weight); GC.KeepAlive(bias); GC.KeepAlive(y); }
    }

    /// <inheritdoc/>
    void IBackend.Conv2dBackward(Tensor columns, Tensor weight, Tensor g, Window2d window, Tensor? dWeight,
        Tensor? dx)
    {
        Tensor? dColumns = null;
        try
        {
            int n = g.shape[0], o = g.shape[1], p = g.shape[2] * g.shape[3], k = columns.shape[0];
            var gradients = new Tensor(g.storage, [n, o, p], [o * p, p, 1], g.offset);
            if (dWeight is not null)
            {
                // dWeight = Σₛ g[s]·columns[:, s]ᵀ: one product per sample, then a sum over samples
                var perSample = NewTensor([n, o, k], g.DType);
                var columnsBySample = new Tensor(columns.storage, [n, p, k], [p, 1, n * p], columns.offset);
                Self.MatMul(gradients, columnsBySample, perSample);
                Self.Reduce(ReduceKernel.Sum, new Tensor(perSample.storage, [o, k, n], [k, 1, o * k], 0), dWeight);
            }
            if (dx is not null)
            {
                // dColumns[:, s] = weightᵀ·g[s], computed per sample then laid out as [C·kH·kW, N·OutH·OutW],
                // and folded into dx
                dColumns = NewTensor([k, n * p], g.DType);
                var perSample = NewTensor([n, k, p], g.DType);
                var weightT = new Tensor(weight.storage, [n, k, o], [0, weight.strides[1], weight.strides[0]],
                    weight.offset);
                Self.MatMul(weightT, gradients, perSample);
                Self.Copy(perSample, new Tensor(dColumns.storage, [n, k, p], [p, n * p, 1], dColumns.offset));
                ((IBackend)this).Col2Im(dColumns, window, dx);
            }
        }
        finally
        {
            GC.KeepAlive(columns); GC.KeepAlive(weight); GC.KeepAlive(g); GC.KeepAlive(dWeight); GC.KeepAlive(dx);
            GC.KeepAlive(dColumns);
        }
    }

    private void AddInPlace(Tensor y, Tensor addend) => Self.Binary(BinaryKernel.Add, y, addend, y);
}
