namespace Backprop.Optim;

/// <summary>Gradient clipping (torch.nn.utils.clip_grad_norm_).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient so that their joint L2 norm is at most <paramref name="maxNorm"/> (by
    /// maxNorm / (norm + 1e-6), as PyTorch) and returns the norm before clipping. Parameters without a gradient are
    /// skipped. Scaled gradients are new tensors, since the backward pass may hand one gradient tensor to several
    /// leaves.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm,
                $"ClipGradNorm: the maximum norm must be ≥ 0, got {maxNorm}");
        var withGrad = parameters.Where(p => p.Grad is not null).ToList();
        double sumOfSquares = 0;
        foreach (var p in withGrad)
        {
            var g = p.Grad!.Contiguous();
            if (g.Device.Type != DeviceType.Cpu)
            {
                using (Autograd.NoGrad()) { var d = g.To(DType.Float64); sumOfSquares += (d * d).Sum().Item(); }
                continue;
            }
            if (g.DType == DType.Float32) foreach (float x in g.AsSpan<float>()) sumOfSquares += (double)x * x;
            else foreach (double x in g.AsSpan<double>()) sumOfSquares += x * x;
        }
        double norm = Math.Sqrt(sumOfSquares);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            using (Autograd.NoGrad())
                foreach (var p in withGrad) p.Grad = p.Grad! * coefficient;
        return norm;
    }

    /// <summary>
    /// Clamps every gradient element into [−clipValue, clipValue] (torch.nn.utils.clip_grad_value_). Parameters
    /// without a gradient are skipped; clamped gradients are new tensors, as in <see cref="ClipGradNorm"/>.
    /// </summary>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0))
            throw new ArgumentOutOfRangeException(nameof(clipValue), clipValue,
                $"ClipGradValue: the clip value must be ≥ 0, got {clipValue}");
        using (Autograd.NoGrad())
            foreach (var p in parameters)
                if (p.Grad is { } grad) p.Grad = grad.Clamp(-clipValue, clipValue);
    }
}
