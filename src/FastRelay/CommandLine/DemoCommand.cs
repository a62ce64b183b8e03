using System.CommandLine;
using FastRelay.Configuration;
using FastRelay.Hosting;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay demo</c>: the whole current path on loopback in one process (an echo and a sink backend, an
/// edge in front of them, and traffic through it, checked byte for byte). The load harness in
/// bench/FastRelay.Bench is the measuring tool; this is the thirty-second "does it work here" check.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run an echo and a sink backend and an edge on loopback, push traffic through the edge, verify every byte, print a summary.");
        var sessions = new Option<string>("--sessions") { Description = "Concurrent echo sessions [default: 100]", HelpName = "N" };
        var duration = new Option<string>("--duration") { Description = "How long the echo sessions run [default: 3s]", HelpName = "DURATION" };
        var bulk = new Option<string>("--bulk-size") { Description = "Bytes pushed through the sink route [default: 256MiB]", HelpName = "SIZE" };
        command.Options.Add(sessions);
        command.Options.Add(duration);
        var admin = new Option<string>("--admin") { Description = "Admin endpoint while the demo runs (GET /metrics, /status, ...); off for none [default: 127.0.0.1:9901]", HelpName = "ADDR:PORT|off" };
        command.Options.Add(bulk);
        command.Options.Add(admin);
        command.SetAction((parseResult, cancellationToken) =>
        {
            var settings = new DemoSettings();
            var errors = new List<string>();
            if (parseResult.GetValue(sessions) is { } s)
            {
                if (int.TryParse(s, out var n) && n is >= 1 and <= 10_000) settings = settings with { Sessions = n };
                else errors.Add($"--sessions '{s}': expected a whole number from 1 to 10000");
            }

            if (parseResult.GetValue(duration) is { } d)
            {
                if (ValueSyntax.TryParseDuration(d, out var t) && t > TimeSpan.Zero && t <= TimeSpan.FromMinutes(10)) settings = settings with { Duration = t };
                else errors.Add($"--duration '{d}': expected {ValueSyntax.DurationExpected}, from 1ms to 10m");
            }

            if (parseResult.GetValue(bulk) is { } b)
            {
                if (ValueSyntax.TryParseSize(b, out var bytes) && bytes is > 0 and <= 64L << 30) settings = settings with { BulkBytes = bytes };
                else errors.Add($"--bulk-size '{b}': expected {ValueSyntax.SizeExpected}, at most 64GiB");
            }

            if (parseResult.GetValue(admin) is { } a)
            {
                if (a.Equals("off", StringComparison.OrdinalIgnoreCase)) settings = settings with { AdminOff = true };
                else if (EndPointSyntax.TryParseIPEndPoint(a, out var endPoint, out var error)) settings = settings with { Admin = endPoint };
                else errors.Add($"--admin '{a}': expected ADDR:PORT or off: {error}");
            }

            return ExitCodes.MustStop(errors)
                ? Task.FromResult(ExitCodes.PrintConfigErrors(errors))
                : DemoRunner.RunAsync(settings, cancellationToken);
        });
        return command;
    }
}
