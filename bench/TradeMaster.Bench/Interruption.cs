using System.Runtime.InteropServices;

namespace TradeMaster.Bench;

/// <summary>
/// Ctrl+C or a SIGTERM in the middle of a run: stop what the bench started (the embedded host, its private PostgreSQL,
/// their data directories, unless --keep-data) and exit with 128 + the signal's number. Without this, the embedded
/// host's own console lifetime took the signal: it stopped the host and the bench went on driving a dead endpoint,
/// printing errors for minutes, with its PostgreSQL still running.
/// </summary>
public static class Interruption
{
    private static readonly Lock Gate = new();
    private static readonly List<Func<ValueTask>> Cleanups = [];
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private static int _interrupted;

    /// <summary>
    /// Set the moment a signal arrives, before anything is stopped: the load generators send nothing more, so a host
    /// being stopped is not fed thousands of calls a second that fail and log (a million log lines in 25 s otherwise).
    /// </summary>
    public static bool Requested => Volatile.Read(ref _interrupted) != 0;

    /// <summary>How long the clean-up may take before the bench exits anyway.</summary>
    public static readonly TimeSpan CleanupLimit = TimeSpan.FromSeconds(60);

    public static void Install()
    {
        if (Registrations.Count > 0) return;
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, context => Interrupt(context, 2)));
        Registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => Interrupt(context, 15)));
    }

    /// <summary>
    /// For the main flow once it sees <see cref="Requested"/>: never completes, because the signal's handler ends the
    /// process when its clean-up is done (returning from Main first would end it with the run's exit code, or cut the
    /// clean-up short).
    /// </summary>
    public static Task UntilExitAsync() => Task.Delay(Timeout.Infinite);

    /// <summary>Runs <paramref name="cleanup"/> if the bench is interrupted before the returned handle is disposed.</summary>
    public static IDisposable OnInterrupt(Func<ValueTask> cleanup)
    {
        lock (Gate) Cleanups.Add(cleanup);
        return new Registration(cleanup);
    }

    private static void Interrupt(PosixSignalContext context, int number)
    {
        context.Cancel = true;
        if (Interlocked.Exchange(ref _interrupted, 1) != 0) return;
        Func<ValueTask>[] cleanups;
        lock (Gate) cleanups = [.. Cleanups];
        Console.Error.WriteLine($"Interrupted ({context.Signal}): stopping what the bench started ({cleanups.Length}), then exiting.");
        // Newest first: a host started last may depend on what was started before it.
        var done = Task.Run(async () =>
        {
            for (var i = cleanups.Length - 1; i >= 0; i--)
            {
                try
                {
                    await cleanups[i]();
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"Clean-up failed: {e.Message}");
                }
            }
        });
        if (!done.Wait(CleanupLimit)) Console.Error.WriteLine($"Clean-up still running after {CleanupLimit.TotalSeconds:N0} s; exiting anyway.");
        Environment.Exit(128 + number);
    }

    private sealed class Registration(Func<ValueTask> cleanup) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate) Cleanups.Remove(cleanup);
        }
    }
}
