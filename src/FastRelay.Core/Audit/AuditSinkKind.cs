namespace FastRelay.Audit;

/// <summary>Where audit records are written (<c>--audit</c>).</summary>
public enum AuditSinkKind
{
    /// <summary><c>off</c>: no audit log; no observer is installed at all.</summary>
    Off,

    /// <summary><c>sqlite:PATH</c>: an embedded SQLite database (the default, <c>fastrelay-audit.db</c>).</summary>
    Sqlite,

    /// <summary><c>postgres:CONNSTR</c>: the auditors' PostgreSQL table, written with binary COPY.</summary>
    Postgres,

    /// <summary><c>jsonl:PATH</c>: one JSON object per line, appended.</summary>
    Jsonl,
}
