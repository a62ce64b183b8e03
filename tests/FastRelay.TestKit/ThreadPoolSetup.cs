namespace FastRelay.TestKit;

/// <summary>
/// Gives the test host's thread pool room before any test runs. The VSTest host and the xunit adapter each
/// park a pool thread in a blocking wait (seen with dotnet-stack: TcpClientExtensions.MessageLoopAsync in
/// Socket.Poll, VsTestRunner.RunTestsInAssembly in WaitOne); on a 2-core machine that is the whole minimum
/// pool, and every socket continuation then waits ~0.5 s for thread injection. The relay process has no
/// such threads; this is a test-host fix only.
/// </summary>
public static class ThreadPoolSetup
{
    /// <summary>Raises the pool's minimum to at least 16 worker and I/O threads.</summary>
    public static void Ensure()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
    }
}
