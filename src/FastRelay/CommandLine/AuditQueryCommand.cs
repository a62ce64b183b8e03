using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using FastRelay.Audit;
using FastRelay.Audit.Query;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay audit query [--audit TARGET] [--since T] [--until T] [--service S] [--verdict allow|deny]
/// [--source IP|CIDR] [--limit N] [--format table|json]</c>: prints the matching records, newest first.
/// Exit 0 (also when nothing matches), 2 with every flag error listed, 1 when the store cannot be read.
/// </summary>
internal sealed class AuditQueryCommand
{
    private const string TimeExpected = "expected an ISO 8601 time such as 2026-11-26T09:00:00Z (UTC if no offset), or a duration ago such as 15m or 24h";

    private readonly Option<string> _audit = new("--audit")
    {
        Description = $"The audit store to read, as given to fastrelay edge: sqlite:PATH|postgres:CONNSTR|jsonl:PATH [default: {AuditTarget.DefaultText}]",
        HelpName = "TARGET",
    };

    private readonly Option<string> _since = new("--since") { Description = "Records at or after this time: ISO 8601 (UTC if no offset) or a duration ago (15m, 24h) [default: no limit]", HelpName = "TIME" };
    private readonly Option<string> _until = new("--until") { Description = "Records before this time, same forms as --since [default: no limit]", HelpName = "TIME" };
    private readonly Option<string> _service = new("--service") { Description = "Records of this service [default: all]", HelpName = "NAME" };
    private readonly Option<string> _verdict = new("--verdict") { Description = "allow|deny [default: both]", HelpName = "VERDICT" };
    private readonly Option<string> _source = new("--source") { Description = "Records from this client address or CIDR block (10.0.0.0/8) [default: all]", HelpName = "IP|CIDR" };
    private readonly Option<string> _limit = new("--limit") { Description = $"The most records printed, newest first [default: {AuditQuery.DefaultLimit}]", HelpName = "N" };
    private readonly Option<string> _format = new("--format") { Description = "table (for people) or json (an array of objects keyed by column name; id is null in a JSON-lines file) [default: table]", HelpName = "table|json" };

    public AuditQueryCommand()
    {
        Command = new Command("query", "Print audit records by time range, service, verdict and source, newest first.");
        foreach (Option option in new Option[] { _audit, _since, _until, _service, _verdict, _source, _limit, _format })
        {
            Command.Options.Add(option);
        }

        Command.SetAction(Run);
    }

    public Command Command { get; }

    private int Run(ParseResult parseResult)
    {
        var errors = new List<string>();
        var target = ReadTarget(parseResult, errors);
        var query = ReadQuery(parseResult, errors);
        var json = ReadFormat(parseResult, errors);
        if (ExitCodes.MustStop(errors) || target is null || query is null)
        {
            return ExitCodes.PrintConfigErrors(errors); // With the parser's errors, when it found any (Program.ChecksFirst).
        }

        IReadOnlyList<StoredRecord> records;
        try
        {
            records = AuditReaders.Create(target).Query(query);
        }
        catch (AuditReadException ex)
        {
            Console.Error.WriteLine($"fastrelay audit query: {ex.Message}");
            return ExitCodes.RuntimeFailure;
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or ArgumentException or OverflowException or UnauthorizedAccessException)
        {
            // A row the readers cannot map (edited by hand: text in a numeric column, a port of 70000): one line, exit 1.
            Console.Error.WriteLine($"fastrelay audit query: a stored record cannot be read ({ex.GetType().Name}: {ex.Message})");
            return ExitCodes.RuntimeFailure;
        }

        if (json)
        {
            WriteJson(records, Console.OpenStandardOutput());
        }
        else
        {
            AuditTable.Write(records, Console.Out);
        }

        return ExitCodes.Success;
    }

    private AuditTarget? ReadTarget(ParseResult parseResult, List<string> errors)
    {
        var text = parseResult.GetValue(_audit) ?? AuditTarget.DefaultText;
        if (!AuditTarget.TryParse(text, out var target, out var error, AuditTarget.StoreExpected))
        {
            errors.Add(new ConfigError("--audit", text, error).ToString());
            return null;
        }

        if (target!.Kind == AuditSinkKind.Off)
        {
            errors.Add(new ConfigError("--audit", text, $"off has nothing to read; {AuditTarget.StoreExpected}").ToString());
            return null;
        }

        if (AuditSinks.Validate(target) is { } invalid)
        {
            errors.Add(new ConfigError("--audit", text, invalid).ToString());
            return null;
        }

        return target;
    }

    private AuditQuery? ReadQuery(ParseResult parseResult, List<string> errors)
    {
        var before = errors.Count;
        var now = TimeProvider.System.GetUtcNow();
        var since = ReadTime(parseResult, _since, now, errors);
        var until = ReadTime(parseResult, _until, now, errors);
        var service = parseResult.GetValue(_service);
        if (service is not null && !RouteSyntax.IsValidServiceName(service))
            errors.Add(new ConfigError("--service", service, RouteSyntax.ServiceNameExpected).ToString());

        bool? verdict = parseResult.GetValue(_verdict) switch
        {
            null => null,
            "allow" or "allowed" => true,
            "deny" or "denied" => false,
            var other => Error<bool?>(errors, "--verdict", other, "expected allow or deny"),
        };

        IPNetwork? source = null;
        if (parseResult.GetValue(_source) is { } sourceText)
        {
            // The address part strictly (Filtering.AddressSyntax): "127.1" is a typo, not 127.0.0.1.
            var slash = sourceText.IndexOf('/', StringComparison.Ordinal);
            var strict = Filtering.AddressSyntax.TryParseAddress(slash < 0 ? sourceText : sourceText[..slash], out var address);
            if (strict && slash >= 0 && IPNetwork.TryParse(sourceText, out var network)) source = network;
            else if (strict && slash < 0) source = new IPNetwork(address, address.GetAddressBytes().Length * 8);
            else errors.Add(new ConfigError("--source", sourceText, "expected an IPv4 or IPv6 address or CIDR block such as 10.0.0.7 or 10.0.0.0/8").ToString());
        }

        var limit = AuditQuery.DefaultLimit;
        if (parseResult.GetValue(_limit) is { } limitText
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1_000_000))
            errors.Add(new ConfigError("--limit", limitText, "expected a whole number from 1 to 1000000").ToString());

        if (since is { } s && until is { } u && u <= s)
            errors.Add($"--until: must be later than --since ({u:O} is not after {s:O})");

        return errors.Count > before ? null
            : new AuditQuery { Since = since, Until = until, Service = service, Verdict = verdict, Source = source, Limit = limit };
    }

    private static DateTime? ReadTime(ParseResult parseResult, Option<string> option, DateTimeOffset now, List<string> errors)
    {
        if (parseResult.GetValue(option) is not { } text)
        {
            return null;
        }

        if (ValueSyntax.TryParseDuration(text, out var ago))
        {
            // A duration reaching back past year 1 (18000000h) means "from the beginning", not an overflow.
            return ago >= now - DateTimeOffset.MinValue ? DateTime.MinValue : (now - ago).UtcDateTime;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            return at.UtcDateTime;
        }

        errors.Add(new ConfigError(option.Name, text, TimeExpected).ToString());
        return null;
    }

    private bool ReadFormat(ParseResult parseResult, List<string> errors) => parseResult.GetValue(_format) switch
    {
        null or "table" => false,
        "json" => true,
        var other => Error<bool>(errors, "--format", other, "expected table or json"),
    };

    private static T? Error<T>(List<string> errors, string flag, string value, string expected)
    {
        errors.Add(new ConfigError(flag, value, expected).ToString());
        return default;
    }

    private static void WriteJson(IReadOnlyList<StoredRecord> records, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartArray();
        foreach (var record in records)
        {
            AuditJson.WriteStored(json, record.Id, record.Record, record.AsStored);
        }

        json.WriteEndArray();
        json.Flush();
        output.WriteByte((byte)'\n');
        output.Flush();
    }
}
