namespace FastRelay.Configuration;

/// <summary>
/// Reads the TLS flags (cli.md: <c>--tls-cert</c>, <c>--tls-key</c>, <c>--client-ca</c>, <c>--ocsp-staple</c>,
/// <c>--allow-cn</c>, <c>--allow-san</c>, <c>--tls-handshake-timeout</c>) into <see cref="TlsOptions"/>,
/// adding an error for each bad or inconsistent value. Whether the files exist and parse is checked by the
/// loader in FastRelay.Net, which names the file and the problem.
/// </summary>
internal static class TlsReader
{
    /// <summary>The setting names read here.</summary>
    public static readonly string[] Names = ["tls-cert", "tls-key", "client-ca", "ocsp-staple", "allow-cn", "allow-san", "tls-handshake-timeout"];

    /// <summary>The repeatable ones.</summary>
    public static readonly string[] Repeatable = ["allow-cn", "allow-san"];

    public static TlsOptions? Read(IReadOnlyList<RawSetting> settings, ScalarReader scalars, List<ConfigError> errors)
    {
        var cert = scalars.Find("tls-cert");
        var key = scalars.Find("tls-key");
        var clientCa = scalars.Find("client-ca");
        var allowCn = settings.Where(s => s.Name == "allow-cn").ToList();
        var allowSan = settings.Where(s => s.Name == "allow-san").ToList();
        if (cert is null || key is null)
        {
            // Every TLS-only flag alone would silently run a plain relay the user believes is protected.
            if ((cert ?? key) is { } half)
            {
                errors.Add(new ConfigError(half.Origin, half.Value, cert is null ? "needs --tls-cert FILE too (the certificate for this key)" : "needs --tls-key FILE too (the certificate's private key)"));
            }

            foreach (var orphan in new[] { clientCa, scalars.Find("ocsp-staple"), scalars.Find("tls-handshake-timeout") }.OfType<RawSetting>().Concat(allowCn).Concat(allowSan))
            {
                errors.Add(new ConfigError(orphan.Origin, orphan.Value, "only means something with TLS; add --tls-cert FILE --tls-key FILE"));
            }

            // Their values are checked too: every error at once, not the next one after TLS is added.
            CheckPatterns(allowCn, allowSan, errors);
            _ = ReadStapling(scalars.Find("ocsp-staple"), errors);
            _ = scalars.Duration("tls-handshake-timeout", TlsOptions.DefaultHandshakeTimeout, allowZero: false);
            return null;
        }

        if (clientCa is null)
        {
            foreach (var orphan in allowCn.Concat(allowSan))
            {
                errors.Add(new ConfigError(orphan.Origin, orphan.Value, "checks client certificates, which are only asked for with --client-ca FILE; add it"));
            }
        }

        CheckPatterns(allowCn, allowSan, errors);
        var stapling = ReadStapling(scalars.Find("ocsp-staple"), errors);
        return new TlsOptions
        {
            CertificateFile = cert.Value,
            KeyFile = key.Value,
            ClientCaFile = clientCa?.Value,
            HandshakeTimeout = scalars.Duration("tls-handshake-timeout", TlsOptions.DefaultHandshakeTimeout, allowZero: false),
            OcspStaple = stapling.Mode,
            OcspStapleFile = stapling.File,
            AllowedCommonNames = [.. allowCn.Select(s => s.Value.Trim())],
            AllowedSans = [.. allowSan.Select(s => s.Value.Trim())],
        };
    }

    /// <summary><c>--ocsp-staple auto|off|FILE</c>; also read by the edge's files-only check when other flags are bad.</summary>
    internal static (OcspStapling Mode, string? File) ReadStapling(RawSetting? setting, List<ConfigError> errors)
    {
        switch (setting?.Value.ToLowerInvariant())
        {
            case null or "auto": return (OcspStapling.Auto, null);
            case "off": return (OcspStapling.Off, null);
            case "":
                errors.Add(new ConfigError(setting.Origin, setting.Value, "expected auto, off or the path of a DER OCSP response file"));
                return (OcspStapling.Auto, null);
            default:
                // cli.md's third form: a response file the operator provides (docs/revocation.md).
                return (OcspStapling.File, setting.Value);
        }
    }

    private static void CheckPatterns(List<RawSetting> allowCn, List<RawSetting> allowSan, List<ConfigError> errors)
    {
        foreach (var s in allowCn.Where(s => s.Value.Trim().Length == 0))
        {
            errors.Add(new ConfigError(s.Origin, s.Value, "expected a common name, * wildcards allowed (e.g. desk-* )"));
        }

        foreach (var s in allowSan.Where(s => !Filtering.SanPattern.TryParse(s.Value, out _)))
        {
            errors.Add(new ConfigError(s.Origin, s.Value, Filtering.SanPattern.Expected));
        }
    }
}
