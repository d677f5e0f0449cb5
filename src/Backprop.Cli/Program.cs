using Backprop.Cli;
using Backprop.Distributed;

// Under mpirun each rank writes to a pty that mpirun relays: with a real TERM, .NET would send a terminal's escape
// codes into whatever mpirun's output goes to. Rank 0 alone speaks; a failing rank reports through Abort.
if (Communicator.IsLaunched) Environment.SetEnvironmentVariable("TERM", "dumb");
bool quiet = MpiLauncher.EnvironmentRank > 0;
return Cli.Run(args, quiet ? TextWriter.Null : Console.Out, quiet ? TextWriter.Null : Console.Error);
