namespace Backprop;

/// <summary>
/// A stretch of code, typically one training step, whose CPU tensors give their memory back when it ends: every
/// storage allocated on this thread while the scope is open returns to a pool for the next step's tensors of the
/// same size, so a training loop stops allocating after its first step and the garbage collector stays idle.
/// Parameters, gradients stored in <see cref="Tensor.Grad"/>, module buffers, optimizer state and tensors passed
/// to <see cref="Keep"/> are exempt. Using any other tensor made in the scope after it ended throws an error that
/// says so, instead of reading memory that another tensor now owns. Open it with <c>using</c>: a scope never
/// disposed keeps every CPU tensor made after it on this thread alive.
/// </summary>
/// <example><code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = new TensorScope();
///     var loss = F.CrossEntropy(model.Forward(x), y);
///     optimizer.ZeroGrad();
///     loss.Backward();
///     optimizer.Step();
///     lossValue = loss.Item();   // read what you need before the scope ends, or scope.Keep(loss)
/// }
/// </code></example>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? t_current;
    // the last ended scope's list, so a loop's scopes reuse one
    [ThreadStatic] private static List<Storage>? t_spareList;

    private readonly TensorScope? _outer;
    private readonly List<Storage> _storages;
    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private bool _ended;

    /// <summary>Opens a scope on the calling thread; scopes nest, and must end in the reverse order.</summary>
    public TensorScope()
    {
        _outer = t_current;
        t_current = this;
        _storages = t_spareList ?? [];
        t_spareList = null;
    }

    /// <summary>Number of storages this scope will release when it ends.</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var s in _storages) if (s.scope == this) n++;
            return n;
        }
    }

    /// <summary>Exempts <paramref name="tensor"/>'s storage (and so all its views) from release; returns the
    /// tensor.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Escape(tensor.storage);
        return tensor;
    }

    /// <summary>Releases every storage made in the scope that was not kept.</summary>
    public void Dispose()
    {
        if (_ended) return;
        if (Environment.CurrentManagedThreadId != _threadId)
            throw new InvalidOperationException("TensorScope: a scope must end on the thread that opened it");
        if (t_current != this)
            throw new InvalidOperationException("TensorScope: scopes must end in the reverse order they were opened " +
                "(an inner scope is still open)");
        _ended = true;
        t_current = _outer;
        foreach (var s in _storages)
            if (s.scope == this) { s.scope = null; s.Release(); }
        _storages.Clear();
        t_spareList = _storages;
    }

    /// <summary>Whether a scope is open on the calling thread.</summary>
    internal static bool IsOpen => t_current is not null;

    /// <summary>Puts a new storage in the innermost open scope of this thread, if any.</summary>
    internal static void Adopt(Storage storage)
    {
        if (t_current is not { } scope) return;
        storage.scope = scope;
        scope._storages.Add(storage);
    }

    /// <summary>Takes a storage out of whatever scope holds it: something that outlives the scope refers to
    /// it.</summary>
    internal static void Escape(Storage storage) => storage.scope = null;
}
