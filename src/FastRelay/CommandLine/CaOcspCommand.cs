using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using FastRelay.Configuration;
using FastRelay.Hosting;
using FastRelay.Pki;
using Microsoft.Extensions.Logging;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay ca ocsp --dir DIR --listen ADDR:PORT [--validity DURATION]</c>: an OCSP responder (RFC 6960,
/// HTTP POST and GET) for the CA in DIR until SIGINT/SIGTERM. Prints its URL first (with the real port
/// when 0 was asked for), then one log line per request.
/// </summary>
internal sealed class CaOcspCommand
{
    private const string DefaultListen = "127.0.0.1:8080";
    private static readonly TimeSpan DefaultValidity = TimeSpan.FromHours(1);

    // A year: far beyond any sensible OCSP answer (CA/Browser Forum: at most 10 days), and it keeps nextUpdate a valid
    // time (a duration of thousands of years made every answer fail).
    private static readonly TimeSpan MaxValidity = TimeSpan.FromHours(366 * 24);

    private readonly Option<string> _dir = CaCommand.DirOption();
    private readonly Option<string> _listen = new("--listen") { Description = $"Address to answer on; use the URL given to 'ca init --ocsp-url' [default: {DefaultListen}]", HelpName = "ADDR:PORT" };
    private readonly Option<string> _validity = new("--validity") { Description = $"How long each response is good for (nextUpdate - thisUpdate), 1s to 8784h; relays cache and staple it that long [default: {ValueSyntax.FormatDuration(DefaultValidity)}]", HelpName = "DURATION" };
    private readonly Option<string> _logLevel = new("--log-level") { Description = "trace|debug|information|warning|error|critical|none [default: information]", HelpName = "LEVEL" };

    public CaOcspCommand()
    {
        Command = new Command("ocsp", "Run an OCSP responder (RFC 6960, HTTP POST and GET) for the CA in DIR: good, revoked or unknown, signed by the CA.");
        foreach (var option in new[] { _dir, _listen, _validity, _logLevel })
        {
            Command.Options.Add(option);
        }

        Command.SetAction((parseResult, cancellationToken) => RunAsync(parseResult, cancellationToken));
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var dir = CaCommand.Required(parseResult, _dir, "the CA directory made by 'fastrelay ca init'", errors);
        var listenText = parseResult.GetValue(_listen) ?? DefaultListen;
        if (!EndPointSyntax.TryParseIPEndPoint(listenText, out var endPoint, out var endPointError))
        {
            errors.Add(new ConfigError("--listen", listenText, "expected ADDR:PORT: " + endPointError).ToString());
        }

        var validity = DefaultValidity;
        if (parseResult.GetValue(_validity) is { } validityText
            && (!ValueSyntax.TryParseDuration(validityText, out validity) || validity < TimeSpan.FromSeconds(1) || validity > MaxValidity))
        {
            errors.Add(new ConfigError("--validity", validityText, $"expected {ValueSyntax.DurationExpected}, from 1s to {ValueSyntax.FormatDuration(MaxValidity)}").ToString());
        }

        var level = LogLevel.Information;
        // Names only: Enum.TryParse also takes "-1" and "3".
        if (parseResult.GetValue(_logLevel) is { } levelText
            && (Enum.GetNames<LogLevel>().FirstOrDefault(n => n.Equals(levelText, StringComparison.OrdinalIgnoreCase)) is not { } levelName
                || !Enum.TryParse(levelName, out level)))
        {
            errors.Add(new ConfigError("--log-level", levelText, "expected trace|debug|information|warning|error|critical|none").ToString());
        }

        if (ExitCodes.MustStop(errors))
        {
            return ExitCodes.PrintConfigErrors(errors);
        }

        OcspResponder responder;
        CertificateAuthority? ca = null;
        using var loggers = Logging.CreateFactory(new LogOptions(LogFormat.Text, level));
        try
        {
            ca = CertificateAuthority.Open(dir!, TimeProvider.System);
            responder = OcspResponder.Start(endPoint!, new OcspResponseBuilder(ca, validity, TimeProvider.System), loggers.CreateLogger("FastRelay.Ocsp"));
        }
        catch (Exception ex) when (ex is PkiException or IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            // As the other ca commands (CaCommand.Run): an unreadable ca.key is one line and exit 1, not a stack trace.
            ca?.Dispose();
            Console.Error.WriteLine($"fastrelay ca ocsp: {ex.Message}");
            return ExitCodes.RuntimeFailure;
        }

        using (ca)
        {
            await using (responder)
            {
                var stop = new TaskCompletionSource();
                using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                using var registration = cancellationToken.Register(() => stop.TrySetResult());
                Console.WriteLine($"OCSP responder for {ca.Certificate.Subject} on http://{FormatEndPoint(responder.EndPoint)}/ (responses valid {ValueSyntax.FormatDuration(validity)})");
                await stop.Task;
                return ExitCodes.Success;

                void Stop(PosixSignalContext context)
                {
                    context.Cancel = true; // We stop ourselves: close the listener, then exit 0.
                    stop.TrySetResult();
                }
            }
        }
    }

    private static string FormatEndPoint(IPEndPoint endPoint) =>
        endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : endPoint.ToString();
}
