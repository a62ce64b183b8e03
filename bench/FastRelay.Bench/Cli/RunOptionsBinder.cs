using System.CommandLine;
using System.Net;
using FastRelay.Bench.Phases;

namespace FastRelay.Bench.Cli;

/// <summary>
/// Turns the text of <c>run</c>'s options into <see cref="RunOptions"/>, collecting every problem (option, value,
/// what is expected) instead of stopping at the first, like YARP's ConfigValidator.
/// </summary>
internal static class RunOptionsBinder
{
    // Bounds keep every run finite and inside one machine's limits: 2 sockets per session live in this process
    // on the relay path (client + in-process backend), and the usual descriptor limit is 20k.
    private const int MaxSessions = 9_000;
    private static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(120);

    /// <summary>Returns the options, or null with one line per problem appended to <paramref name="errors"/>.</summary>
    public static RunOptions? Bind(RunCommand command, ParseResult parse, List<string> errors)
    {
        var before = errors.Count;
        var duration = Duration(parse, command.Duration, TimeSpan.FromMilliseconds(100), MaxDuration, errors);
        var warmup = Duration(parse, command.Warmup, TimeSpan.Zero, TimeSpan.FromSeconds(10), errors);
        var tlsWarmup = Duration(parse, command.TlsWarmup, TimeSpan.Zero, TimeSpan.FromSeconds(30), errors);
        var timeout = Duration(parse, command.PhaseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10), errors);
        var longestWarmup = warmup > tlsWarmup ? warmup : tlsWarmup;
        if (errors.Count == before && timeout <= duration + longestWarmup)
        {
            errors.Add($"--timeout: must be longer than --warmup (or --tls-warmup) + --duration ({UnitParser.FormatDuration(longestWarmup + duration)}) (got {UnitParser.FormatDuration(timeout)})");
        }

        var phases = Phases(parse.ValueOrDefault(command.Phases), errors);
        var relay = RelayTarget.Bind(command, parse, phases, errors);
        var options = new RunOptions
        {
            Sessions = Count(parse, command.Sessions, 1, MaxSessions, errors),
            Duration = duration,
            Rounds = Count(parse, command.Rounds, 1, 20, errors),
            Warmup = warmup,
            TlsWarmup = tlsWarmup,
            MessageBytes = (int)Bytes(parse, command.MessageBytes, 1, 1 << 20, errors),
            BulkBytes = Bytes(parse, command.BulkBytes, 1, 64L << 30, errors),
            BulkStreams = Count(parse, command.BulkStreams, 1, 256, errors),
            ConnectCount = Count(parse, command.ConnectCount, 1, 1_000_000, errors),
            ConnectConcurrency = Count(parse, command.ConnectConcurrency, 1, 256, errors),
            ConnectTimeout = Duration(parse, command.ConnectTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(60), errors),
            PhaseTimeout = timeout,
            OutputDirectory = parse.ValueOrDefault(command.Out) ?? "artifacts/bench",
            Phases = phases,
            EchoBackend = BindAddress(parse, command.EchoBackend, errors)!,
            SinkBackend = BindAddress(parse, command.SinkBackend, errors)!,
            ChildBackends = parse.ValueOrDefault(command.ChildBackends),
            Tls = parse.ValueOrDefault(command.Tls),
            TlsResume = parse.ValueOrDefault(command.TlsResume),
            OpenSslReference = parse.ValueOrDefault(command.OpenSslReference),
            Tunnel = parse.ValueOrDefault(command.Tunnel),
            TunnelKeepaliveRequests = Count(parse, command.TunnelKeepaliveRequests, 0, 1_000_000_000, errors),
            TlsRsaServerKey = TlsKeyType(parse.ValueOrDefault(command.TlsKeyType), errors),
            RelayMode = relay.Mode,
            RelayExe = relay.Exe,
            RelayArgs = relay.Args,
            RelayEnvironment = relay.Environment,
            RelayEcho = relay.Echo,
            RelaySink = relay.Sink,
        };

        if (errors.Count == before)
        {
            OutputPath.CheckDirectory("--out", options.OutputDirectory, errors); // Only for a run that would start: it creates the directory.
        }

        if (options.Tunnel && relay.Mode != RelayMode.Spawn)
        {
            errors.Add("--tunnel: needs --relay-exe (the harness starts the gateway and the tunnel edge itself)");
        }

        if (options.Tls && relay.Mode != RelayMode.Spawn)
        {
            errors.Add("--tls: needs --relay-exe (the harness starts the mTLS relay itself)");
        }

        if (options.TlsWarmup > TimeSpan.Zero && !options.Tls)
        {
            errors.Add("--tls-warmup: needs --tls (it warms up the mTLS path's connect round)");
        }

        if (options.OpenSslReference && !options.Tls)
        {
            errors.Add("--openssl-reference: needs --tls (s_server is measured with the mTLS path's certificates and client)");
        }

        if (options.OpenSslReference && options.MessageBytes > Targets.OpenSslServerProcess.MaxMessageBytes)
        {
            errors.Add($"--openssl-reference: needs --message-bytes <= {Targets.OpenSslServerProcess.MaxMessageBytes} (s_server -rev answers one line of at most that; got {options.MessageBytes})");
        }

        return errors.Count == before ? options : null;
    }

    private static bool TlsKeyType(string? text, List<string> errors)
    {
        switch (text?.ToLowerInvariant())
        {
            case null or "ecdsa": return false;
            case "rsa": return true;
            default:
                errors.Add($"--tls-key-type: expected ecdsa or rsa (got '{text}')");
                return false;
        }
    }

    /// <summary>Parses an <c>IP:PORT</c> option; null (and an error) when it is malformed.</summary>
    public static IPEndPoint? EndPoint(ParseResult parse, Option<string?> option, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var text) || text is null)
        {
            return null;
        }

        if (!UnitParser.TryParseEndPoint(text, out var endPoint))
        {
            errors.Add($"{option.Name}: expected IP:PORT such as 127.0.0.1:9000 (got '{text}')");
            return null;
        }

        return endPoint;
    }

    private static IPEndPoint? BindAddress(ParseResult parse, Option<string> option, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var text))
        {
            return null;
        }

        if (!UnitParser.TryParseEndPoint(text, out var endPoint))
        {
            errors.Add($"{option.Name}: expected IP:PORT such as 127.0.0.1:0 (got '{text}')");
            return null;
        }

        return endPoint;
    }

    private static int Count(ParseResult parse, Option<string> option, int min, int max, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var text))
        {
            return default;
        }

        if (!UnitParser.TryParseCount(text, out var value) || value < min || value > max)
        {
            errors.Add($"{option.Name}: expected a whole number from {min} to {max} (got '{text}')");
        }

        return value;
    }

    private static long Bytes(ParseResult parse, Option<string> option, long min, long max, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var text))
        {
            return default;
        }

        if (!UnitParser.TryParseBytes(text, out var value) || value < min || value > max)
        {
            var range = $"{UnitParser.FormatBytes(min)} to {UnitParser.FormatBytes(max)}";
            errors.Add($"{option.Name}: expected a size from {range}, like 64, 16KiB or 256MiB (got '{text}')");
        }

        return value;
    }

    private static TimeSpan Duration(ParseResult parse, Option<string> option, TimeSpan min, TimeSpan max, List<string> errors)
    {
        if (!parse.TryGetValue(option, out var text))
        {
            return default;
        }

        if (!UnitParser.TryParseDuration(text, out var value) || value < min || value > max)
        {
            var range = $"{UnitParser.FormatDuration(min)} to {UnitParser.FormatDuration(max)}";
            errors.Add($"{option.Name}: expected a duration from {range}, like 500ms, 5s or 2m (got '{text}')");
        }

        return value;
    }

    private static IReadOnlyList<PhaseKind> Phases(string[]? values, List<string> errors)
    {
        if (values is null || values.Length == 0)
        {
            return PhaseNames.All;
        }

        var chosen = new HashSet<PhaseKind>();
        foreach (var name in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!PhaseNames.TryParse(name, out var kind))
            {
                errors.Add($"--phases: unknown phase '{name}' (expected {string.Join(", ", PhaseNames.All.Select(p => p.ToName()))})");
            }
            else if (!chosen.Add(kind))
            {
                errors.Add($"--phases: '{name}' is given twice");
            }
        }

        // Run in the canonical order whatever order they were given in, so reports compare across runs.
        return PhaseNames.All.Where(chosen.Contains).ToList();
    }
}
