using System.CommandLine;
using FastRelay.Audit;
using FastRelay.Configuration;
using FastRelay.Filtering;
using FastRelay.Hosting;
using FastRelay.Tls;
using FastRelay.Tls.Revocation;
using Microsoft.Extensions.Logging;

namespace FastRelay.CommandLine;

/// <summary><c>fastrelay edge</c>: parse and validate everything, then run the edge until a signal.</summary>
internal sealed class EdgeCommand : IValidatedCommand
{
    private readonly Option<string> _config = new("--config")
    {
        Description = "JSON file with any of these flags (names without dashes); a flag on the command line wins over the file [default: none]",
        HelpName = "FILE",
    };

    private readonly FlagOptions _flags;

    public EdgeCommand()
    {
        Command = new Command("edge", "Run the edge relay: the sidecar on the edge VM that internal clients connect to.");
        Command.Options.Add(_config);
        _flags = new FlagOptions(Command, EdgeFlags.All, EdgeFlags.Planned.Keys);
        Command.SetAction((parseResult, cancellationToken) =>
        {
            var (options, policy, tls, errors, loggers) = Build(parseResult);
            if (options is null)
            {
                return Task.FromResult(ExitCodes.PrintConfigErrors(errors));
            }

            // The tunnel key files, read once for the run (a reload's config check reads them again only when their paths change).
            var tunnelErrors = new List<string>();
            var tunnel = options.Tunnel is { } t ? TunnelIdentityLoader.TryLoad(t.Identity, TunnelRole.Edge, tunnelErrors) : null;
            return tunnelErrors.Count > 0
                ? Task.FromResult(ExitCodes.PrintConfigErrors(tunnelErrors))
                : EdgeHost.RunAsync(options, policy, tls, () => Rebuild(parseResult, options), cancellationToken, loggers, tunnel);
        });
    }

    public Command Command { get; }

    /// <inheritdoc />
    public IEnumerable<string> Validate(ParseResult parseResult)
    {
        var (_, _, tls, errors, loggers) = Build(parseResult);
        (tls?.Revocation as IDisposable)?.Dispose(); // Its CRL watchers and timer.
        loggers?.Dispose();
        return errors;
    }

    // The config step of a reload: the flags and the --config file validated again. The files they name are checked
    // only where the config now names other files than the running ones, and only those: the policy, the TLS files
    // and the CRLs each have their own reload step for their contents, which keeps the running version of a bad file
    // and says why, and failing this step for them too would hold back the routes' new targets (README, "Signals").
    // A new path, though, is no reload step's business: it is checked here, as a restart would check it.
    private (EdgeOptions? Options, IReadOnlyList<string> Errors) Rebuild(ParseResult parseResult, EdgeOptions running)
    {
        var (options, _, _, errors, _) = Build(parseResult, FileChecks.None);
        if (options is null || ChangedFiles(options, running) is not (not FileChecks.None and var changed))
        {
            return (options, errors);
        }

        var (checkedOptions, _, tls, allErrors, loggers) = Build(parseResult, changed, forReload: true);
        (tls?.Revocation as IDisposable)?.Dispose(); // Its CRL watchers and timer: the running checker is the host's.
        loggers?.Dispose();
        return (checkedOptions, allErrors);
    }

    /// <summary>The groups of files a start checks, so that a reload checks only the groups whose paths changed.</summary>
    [Flags]
    private enum FileChecks
    {
        None = 0,
        Policy = 1,
        Tls = 2, // --tls-cert, --tls-key, --client-ca, --ocsp-staple FILE: loaded together, as a start loads them.
        Crl = 4,
        Tunnel = 8,
        All = Policy | Tls | Crl | Tunnel,
    }

    // Which groups of files two configurations name differently (their contents are the reload steps' business).
    private static FileChecks ChangedFiles(EdgeOptions a, EdgeOptions b) =>
        (a.PolicyFile == b.PolicyFile ? FileChecks.None : FileChecks.Policy)
        | (a.Tls?.CertificateFile == b.Tls?.CertificateFile && a.Tls?.KeyFile == b.Tls?.KeyFile && a.Tls?.ClientCaFile == b.Tls?.ClientCaFile
            && a.Tls?.OcspStapleFile == b.Tls?.OcspStapleFile ? FileChecks.None : FileChecks.Tls)
        | (a.Revocation.CrlFiles.SequenceEqual(b.Revocation.CrlFiles)
            && (a.Tls?.ClientCaFile == b.Tls?.ClientCaFile || a.Revocation.CrlFiles.Count == 0) ? FileChecks.None : FileChecks.Crl) // A start checks each CRL's issuer against the bundle.
        | (a.Tunnel?.Identity.KeyFile == b.Tunnel?.Identity.KeyFile && a.Tunnel?.Identity.CaFile == b.Tunnel?.Identity.CaFile
            && a.Tunnel?.Identity.CertificateFile == b.Tunnel?.Identity.CertificateFile && a.Tunnel?.Identity.CertificateKeyFile == b.Tunnel?.Identity.CertificateKeyFile
            && (a.Tunnel?.Identity.CrlFiles ?? []).SequenceEqual(b.Tunnel?.Identity.CrlFiles ?? []) ? FileChecks.None : FileChecks.Tunnel);

    private (EdgeOptions? Options, LoadedPolicy? Policy, TlsMaterialStore? Tls, List<string> Errors, ILoggerFactory? Loggers) Build(ParseResult parseResult,
        FileChecks checks = FileChecks.All, bool forReload = false)
    {
        var errors = new List<ConfigError>();
        // The token, not GetValue: with --config twice or without a value GetValue throws; the parser lists those.
        var fromFile = parseResult.GetResult(_config) is { Tokens: [var path] } ? ConfigFile.Read(path.Value, EdgeFlags.All, errors, EdgeFlags.Planned.Keys) : [];
        var settings = FlagOptions.Merge(fromFile, _flags.Read(parseResult));
        foreach (var planned in settings.Where(s => EdgeFlags.Planned.ContainsKey(s.Name)).ToList())
        {
            errors.Add(new ConfigError(planned.Origin, planned.Value, EdgeFlags.PlannedError(planned.Name)));
            settings.Remove(planned);
        }

        EdgeOptions? options = null;
        try
        {
            options = EdgeOptionsReader.Read(settings);
        }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
        }

        if (!StartupInputs.AuditTargetIsValid(settings, errors))
        {
            options = null;
        }

        var lines = errors.Select(e => e.ToString()).ToList();
        var policy = checks.HasFlag(FileChecks.Policy) ? StartupInputs.LoadPolicy(settings, lines) : null;

        // The TLS files are checked at start like the policy: a missing key or a key that does not match the
        // certificate is a configuration error (exit 2), each line naming the file.
        TlsMaterialStore? tls = null;
        var (revocation, loggers) = checks.HasFlag(FileChecks.Crl) || (checks.HasFlag(FileChecks.Tls) && !forReload) ? BuildRevocation(options, lines) : (null, null);
        if (checks.HasFlag(FileChecks.Tls) && (options?.Tls ?? FilesOnly(settings)) is { } tlsOptions)
        {
            try
            {
                // A reload's check never fetches a staple for material it throws away.
                tls = TlsMaterialStore.Load(forReload && tlsOptions.OcspStaple == OcspStapling.Auto ? tlsOptions with { OcspStaple = OcspStapling.Off } : tlsOptions,
                    TimeProvider.System, revocation);
            }
            catch (TlsLoadException ex)
            {
                lines.AddRange(ex.Message.Split(Environment.NewLine));
                (revocation as IDisposable)?.Dispose();
            }
        }
        else if (forReload)
        {
            (revocation as IDisposable)?.Dispose(); // Only the CRLs were to be checked: that was the load.
            revocation = null;
        }

        // The tunnel key files are checked with everything else (exit 2, every error at once).
        // (A reload whose tunnel paths are unchanged reads none of them.)
        if (checks.HasFlag(FileChecks.Tunnel) && options?.Tunnel is { } tunnelOptions)
        {
            TunnelIdentityLoader.TryLoad(tunnelOptions.Identity, TunnelRole.Edge, lines, warn: false)?.Dispose();
        }
        else if (checks == FileChecks.All && options is null)
        {
            CheckFilesOnly(settings, lines); // A start with other flags bad still lists the files' problems.
        }

        return (lines.Count == 0 ? options : null, policy, tls, lines, loggers);
    }

    // The revocation checker loads every --crl now (a bad one is a config error, exit 2) and verifies each
    // against the client CA bundle; it logs through the factory the host then runs on.
    private static (RevocationChecker? Checker, ILoggerFactory? Loggers) BuildRevocation(EdgeOptions? options, List<string> lines)
    {
        if (options?.Tls is not { ClientCaFile: { } caFile })
        {
            return (null, null);
        }

        var loggers = Logging.CreateFactory(options.Log);
        try
        {
            var bundle = ClientCaBundle.Load(caFile);
            return (RevocationChecker.Create(options.Revocation, bundle.Certificates, loggers.CreateLogger("FastRelay.Revocation"), TimeProvider.System), loggers);
        }
        catch (TlsLoadException)
        {
            // The TLS store's own load reports the bundle's problem; without a bundle the CRLs can only be read.
            CrlLoader.ReadEach(options.Revocation.CrlFiles, "--crl", lines);
        }
        catch (RevocationLoadException ex)
        {
            lines.AddRange(ex.Message.Split(Environment.NewLine));
        }

        return (null, loggers);
    }

    // When other flags are bad, the TLS files are still checked (every error at once), without fetching anything:
    // an --ocsp-staple FILE is read, auto is not fetched.
    private static TlsOptions? FilesOnly(List<RawSetting> settings)
    {
        if (Last(settings, "tls-cert") is not { Length: > 0 } cert || Last(settings, "tls-key") is not { Length: > 0 } key)
        {
            return null;
        }

        var (stapling, stapleFile) = TlsReader.ReadStapling(settings.LastOrDefault(s => s.Name == "ocsp-staple"), []);
        return new TlsOptions
        {
            CertificateFile = cert,
            KeyFile = key,
            ClientCaFile = Last(settings, "client-ca") is { Length: > 0 } ca ? ca : null,
            OcspStaple = stapling == OcspStapling.File ? OcspStapling.File : OcspStapling.Off, // auto: nothing fetched here.
            OcspStapleFile = stapleFile,
        };
    }

    // Likewise the CRLs (read and checked against the client CA bundle) and, with --gateway, the tunnel key.
    private static void CheckFilesOnly(List<RawSetting> settings, List<string> lines)
    {
        var crls = settings.Where(s => s.Name == "crl" && s.Value.Length > 0).Select(s => s.Value).Distinct(StringComparer.Ordinal).ToList();
        if (crls.Count > 0 && Last(settings, "client-ca") is { Length: > 0 } caFile)
        {
            try
            {
                var bundle = ClientCaBundle.Load(caFile);
                var options = new RevocationOptions { CrlFiles = crls };
                RevocationChecker.Create(options, bundle.Certificates, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, TimeProvider.System)?.Dispose();
            }
            catch (TlsLoadException)
            {
                CrlLoader.ReadEach(crls, "--crl", lines); // The TLS files' own check reports the bundle.
            }
            catch (RevocationLoadException ex)
            {
                lines.AddRange(ex.Message.Split(Environment.NewLine));
            }
        }

        // Without --gateway the tunnel flags are ignored with a warning and their files not read (README); the same
        // when other flags are bad, or whether a missing key is an error would depend on those.
        if (settings.Any(s => s.Name == "gateway"))
        {
            TunnelIdentityLoader.CheckFiles(settings, TunnelRole.Edge, lines);
        }
    }

    private static string? Last(List<RawSetting> settings, string name) => settings.LastOrDefault(s => s.Name == name)?.Value;
}
