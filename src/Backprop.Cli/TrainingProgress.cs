using System.Diagnostics;

namespace Backprop.Cli;

/// <summary>
/// Training progress on stderr, so stdout stays the answer (one JSON object with --json). Watched on a terminal: a
/// line per epoch, up to 100 epochs, and every k-th epoch beyond, so a run scrolls about 100 lines. Otherwise (a log,
/// a pipe, a launcher): a line when <see cref="LogInterval"/> has passed since the last, so a long run shows it is
/// alive and a short one writes nothing.
/// </summary>
internal sealed class TrainingProgress(int epochs, TextWriter output, bool everyEpoch, TimeSpan? interval = null)
{
    /// <summary>The time between two lines when nobody watches a terminal.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly Stopwatch _sinceLine = Stopwatch.StartNew();
    private readonly TimeSpan _interval = interval ?? LogInterval;
    private readonly int _lineStride = Math.Max(1, (epochs + 99) / 100);

    public void Report(EpochRecord record)
    {
        bool due = everyEpoch
            ? record.Epoch % _lineStride == 0 || record.Epoch == epochs
            : _sinceLine.Elapsed >= _interval;
        if (!due) return;
        output.WriteLine(Line(record));
        output.Flush();
        _sinceLine.Restart();
    }

    private string Line(EpochRecord record)
    {
        string test = double.IsNaN(record.TestAccuracy)
            ? "" : FormattableString.Invariant($"  test accuracy {100 * record.TestAccuracy:0.0}%");
        // measured on each batch as it was trained, before its step: not the summary's figure after training
        string train = double.IsNaN(record.TrainAccuracy)
            ? "" : FormattableString.Invariant($"  accuracy during the epoch {100 * record.TrainAccuracy:0.0}%");
        return FormattableString.Invariant($"epoch {record.Epoch}/{epochs}  loss {record.Loss:0.0000}") + train + test;
    }
}
