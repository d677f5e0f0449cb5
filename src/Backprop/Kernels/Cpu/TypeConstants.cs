namespace Backprop.Kernels.Cpu;

/// <summary>A small count as a type: the JIT compiles one loop per count, with no test of it left inside.</summary>
internal interface ICount { static abstract int Value { get; } }
internal struct One : ICount { public static int Value => 1; }
internal struct Two : ICount { public static int Value => 2; }
internal struct Three : ICount { public static int Value => 3; }
internal struct Four : ICount { public static int Value => 4; }

/// <summary>A yes-or-no choice as a type, for the same reason as <see cref="ICount"/>.</summary>
internal interface IFlag { static abstract bool Value { get; } }
internal struct Yes : IFlag { public static bool Value => true; }
internal struct No : IFlag { public static bool Value => false; }
