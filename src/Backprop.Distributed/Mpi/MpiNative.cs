using System.Reflection;
using System.Runtime.InteropServices;

namespace Backprop.Distributed.Mpi;

/// <summary>
/// The few MPI functions data-parallel training needs, bound to Open MPI's <c>libmpi.so.40</c>. Open MPI's handles
/// (communicators, datatypes, ops) are the addresses of exported globals, read once with
/// <see cref="NativeLibrary.GetExport"/>; MPICH and MS-MPI pass handles as ints instead (another table of handles,
/// and <c>libmpi.so.12</c> or <c>msmpi.dll</c>). Nothing here runs until a launched process asks for MPI's world.
/// </summary>
internal static unsafe partial class MpiNative
{
    private const string Library = "libmpi.so.40";

    /// <summary>MPI_IN_PLACE in Open MPI: the send buffer is the receive buffer.</summary>
    public static readonly void* InPlace = (void*)1;

    public static readonly nint CommWorld, Float, Double, Byte, Sum;

    static MpiNative()
    {
        var library = NativeLibrary.Load(Library, Assembly.GetExecutingAssembly(), null);
        CommWorld = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(library, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(library, "ompi_mpi_double");
        Byte = NativeLibrary.GetExport(library, "ompi_mpi_byte");
        Sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
    }

    [LibraryImport(Library)] public static partial int MPI_Initialized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Init(nint argc, nint argv);
    [LibraryImport(Library)] public static partial int MPI_Finalized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Finalize();
    [LibraryImport(Library)] public static partial int MPI_Comm_rank(nint comm, out int rank);
    [LibraryImport(Library)] public static partial int MPI_Comm_size(nint comm, out int size);
    [LibraryImport(Library)]
    public static partial int MPI_Allreduce(void* send, void* receive, int count, nint type, nint op, nint comm);
    [LibraryImport(Library)]
    public static partial int MPI_Bcast(void* buffer, int count, nint type, int root, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Barrier(nint comm);
    [LibraryImport(Library)] public static partial int MPI_Abort(nint comm, int code);

    /// <summary>Throws when an MPI call did not return MPI_SUCCESS (0).</summary>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}");
    }
}
