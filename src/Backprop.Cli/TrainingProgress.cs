using System.Diagnostics;

namespace Backprop.Cli;

/// <summary>
/// Training progress: on a terminal one line rewritten in place (at most ten times a second); when redirected,
/// plain lines, one per epoch up to 100 epochs and every k-th epoch beyond, so a log stays about 100 lines.
/// </summary>
internal sealed class TrainingProgress(int epochs, TextWriter? output, bool interactive)
{
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private readonly int _lineStride = Math.Max(1, (epochs + 99) / 100);
    private bool _drawn;

    public void Report(EpochRecord record)
    {
        if (output is null) return;
        string test = double.IsNaN(record.TestAccuracy) ? "" : FormattableString.Invariant($"  test accuracy {100 * record.TestAccuracy:0.0}%");
        // measured on each batch as it was trained, before its step: not the summary's figure after training
        string train = double.IsNaN(record.TrainAccuracy)
            ? "" : FormattableString.Invariant($"  accuracy during the epoch {100 * record.TrainAccuracy:0.0}%");
        string line = FormattableString.Invariant($"epoch {record.Epoch}/{epochs}  loss {record.Loss:0.0000}") +
            train + test;
        if (interactive)
        {
            if (_sinceDraw.ElapsedMilliseconds < 100 && record.Epoch != epochs) return;
            output.Write("\r" + line.PadRight(78));
            output.Flush();
            _sinceDraw.Restart();
            _drawn = true;
        }
        else if (record.Epoch % _lineStride == 0 || record.Epoch == epochs) output.WriteLine(line);
    }

    /// <summary>Ends the live line so what follows starts on its own line.</summary>
    public void Finish()
    {
        if (_drawn) output!.WriteLine();
    }
}
