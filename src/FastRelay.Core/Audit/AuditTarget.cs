using FastRelay.Configuration;

namespace FastRelay.Audit;

/// <summary>A parsed <c>--audit</c> value: the sink and its path or connection string.</summary>
/// <param name="Kind">The sink.</param>
/// <param name="Location">The file path (sqlite, jsonl) or the Npgsql connection string (postgres); empty for off.</param>
public sealed record AuditTarget(AuditSinkKind Kind, string Location)
{
    /// <summary>The value <c>--audit</c> takes when not given.</summary>
    public const string DefaultText = "sqlite:fastrelay-audit.db";

    /// <summary>What a value looks like, for errors.</summary>
    public const string Expected = "expected sqlite:PATH, postgres:CONNSTR (e.g. postgres:Host=db;Username=relay;Database=audit), jsonl:PATH or off";

    /// <summary>What a store to read looks like (<c>audit query</c>: "off" has nothing to read), for errors.</summary>
    public const string StoreExpected = "expected sqlite:PATH, postgres:CONNSTR (e.g. postgres:Host=db;Username=relay;Database=audit) or jsonl:PATH";

    /// <summary>The default sink: SQLite in the working directory.</summary>
    public static AuditTarget Default { get; } = new(AuditSinkKind.Sqlite, "fastrelay-audit.db");

    /// <summary>Parses <c>sqlite:PATH</c>, <c>postgres:CONNSTR</c>, <c>jsonl:PATH</c> or <c>off</c>.</summary>
    /// <param name="text">The value.</param>
    /// <param name="target">The parsed value.</param>
    /// <param name="error">What was wrong and what was expected.</param>
    /// <param name="expected">The words for what is expected: <see cref="Expected"/>, or <see cref="StoreExpected"/> where off is refused.</param>
    /// <returns>False, with <paramref name="error"/> saying what was expected, on anything else.</returns>
    public static bool TryParse(string text, out AuditTarget? target, out string error, string expected = Expected)
    {
        ArgumentNullException.ThrowIfNull(text);
        target = null;
        // Any case, as every other "off" of the flags.
        if (text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            target = new AuditTarget(AuditSinkKind.Off, "");
            error = "";
            return true;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? text[..colon] : "";
        var location = colon > 0 ? text[(colon + 1)..] : "";
        AuditSinkKind? kind = scheme switch
        {
            "sqlite" => AuditSinkKind.Sqlite,
            "postgres" or "postgresql" => AuditSinkKind.Postgres,
            "jsonl" => AuditSinkKind.Jsonl,
            _ => null,
        };
        if (kind is null)
        {
            error = expected;
            return false;
        }

        if (location.Trim().Length == 0)
        {
            error = $"{scheme}: needs {(kind == AuditSinkKind.Postgres ? "a connection string" : "a file path")}; {expected}";
            return false;
        }

        if (kind == AuditSinkKind.Postgres && !location.Contains('=', StringComparison.Ordinal))
        {
            error = "postgres: expects an Npgsql connection string of KEY=VALUE pairs separated by ';', e.g. postgres:Host=db;Username=relay;Password=...;Database=audit";
            return false;
        }

        target = new AuditTarget(kind.Value, location);
        error = "";
        return true;
    }

    /// <summary>The value as given (a connection string's password is masked), for logs.</summary>
    public override string ToString() => Kind switch
    {
        AuditSinkKind.Off => "off",
        AuditSinkKind.Postgres => "postgres:" + SecretMask.Mask(Location),
        _ => $"{Kind.ToString().ToLowerInvariant()}:{Location}",
    };
}
