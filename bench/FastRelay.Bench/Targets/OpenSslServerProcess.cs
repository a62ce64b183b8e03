using System.Diagnostics;
using FastRelay.Bench.Tls;

namespace FastRelay.Bench.Targets;

/// <summary>
/// OpenSSL's own TLS server (<c>openssl s_server</c>) with the mTLS relay's certificates, as a reference path for
/// the connect phase (<c>--openssl-reference</c>): the handshake target is quoted beside s_server's cost,
/// and this machine's speed moves both, so the two are measured with the same client in the same run.
/// </summary>
/// <remarks>
/// <para>Configured like the relay's TLS context: a client certificate required and checked against the bench CA
/// (<c>-Verify</c>), the server's suite order with AES-128-GCM first, and no session tickets (<c>-num_tickets 0</c>:
/// the relay issues none, and a ticket costs the server an encryption per handshake).</para>
/// <para><c>-rev</c> answers every line with the line reversed, which the connect phase's message (a palindrome
/// ending in a newline) survives unchanged, and ends the connection with close_notify when the client sends its
/// own: the same exchange and close as on the relay path, minus the upstream dial. s_server serves one connection
/// at a time; the CPU per handshake does not depend on that.</para>
/// </remarks>
internal sealed class OpenSslServerProcess : IAsyncDisposable
{
    /// <summary>The longest message <c>-rev</c> answers in one line (its 16 KiB buffer, less the terminator).</summary>
    public const int MaxMessageBytes = (16 * 1024) - 2;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private OpenSslServerProcess(ChildProcess child, BenchTarget target)
    {
        Child = child;
        Target = target;
    }

    /// <summary>The path: s_server's port, reached with the mTLS client.</summary>
    public BenchTarget Target { get; }

    /// <summary>The running s_server.</summary>
    public ChildProcess Child { get; }

    /// <summary>Starts s_server and waits (at most 20 s) until it says it accepts; null and why when it does not.</summary>
    public static async Task<(OpenSslServerProcess? Server, string? Error)> StartAsync(BenchPki pki, bool resume, CancellationToken cancellationToken)
    {
        if (FindOnPath("openssl") is null)
        {
            return (null, "openssl is not on PATH; install it (apt-get install -y openssl) or leave out --openssl-reference");
        }

        // -rev prints a dozen lines a connection on stderr (the session summary, whatever -quiet says), each an
        // unbuffered write that would count as s_server's CPU and cost the harness a read: they go to a file, read
        // only if s_server does not start. -verify_quiet drops the verify callback's lines.
        var endPoint = FreePort.Pick();
        var errorFile = Path.Combine(pki.Directory, "s_server.err");
        var info = new ProcessStartInfo("/bin/sh");
        foreach (var arg in (string[])[
            "-c", "exec openssl \"$@\" 2>\"$0\"", errorFile,
            "s_server", "-accept", endPoint.ToString(), "-rev",
            "-cert", pki.ServerCertFile, "-key", pki.ServerKeyFile, "-CAfile", pki.CaFile, "-Verify", "2", "-verify_quiet",
            "-serverpref", "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "-num_tickets", "0", "-naccept", "100000000",
        ])
        {
            info.ArgumentList.Add(arg);
        }

        var child = ChildProcess.Start(info, line => line == "ACCEPT");
        var server = new OpenSslServerProcess(child, new BenchTarget(BenchTarget.OpenSslName, endPoint, null, new TlsClient(pki, resume)));
        try
        {
            var waited = Stopwatch.StartNew();
            while (!child.AwaitedLine.IsCompleted)
            {
                if (child.ExitCode is not null || waited.Elapsed > StartTimeout)
                {
                    var error = child.ExitCode is { } exit
                        ? $"openssl s_server exited with code {exit} before accepting"
                        : $"openssl s_server did not accept within {StartTimeout.TotalSeconds:0} s";
                    await server.DisposeAsync();
                    return (null, $"{error}\n{child.DescribeOutput()}\n  stderr: {ReadTail(errorFile)}");
                }

                await Task.Delay(50, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            await server.DisposeAsync(); // Ctrl-C while it starts: not left listening.
            throw;
        }

        return (server, null);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static string ReadTail(string path)
    {
        try
        {
            var text = File.ReadAllText(path);
            return text.Length <= 2000 ? text : text[^2000..];
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    /// <inheritdoc cref="ChildProcess.DisposeAsync"/>
    public ValueTask DisposeAsync() => Child.DisposeAsync();
}
