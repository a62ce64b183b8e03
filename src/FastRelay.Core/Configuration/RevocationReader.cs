namespace FastRelay.Configuration;

/// <summary>
/// Reads <c>--revocation</c>, <c>--crl</c> (repeatable) and <c>--ocsp-timeout</c> (cli.md), adding an error for each bad or inconsistent value.
/// </summary>
internal static class RevocationReader
{
    private const string ModeExpected = "expected off, soft-fail or hard-fail";

    public static RevocationOptions Revocation(IReadOnlyList<RawSetting> settings, ScalarReader scalars, List<ConfigError> errors)
    {
        var mode = RevocationMode.SoftFail;
        if (scalars.Find("revocation") is { } modeSetting)
        {
            switch (modeSetting.Value.ToLowerInvariant())
            {
                case "off": mode = RevocationMode.Off; break;
                case "soft-fail": mode = RevocationMode.SoftFail; break;
                case "hard-fail": mode = RevocationMode.HardFail; break;
                default: errors.Add(new ConfigError(modeSetting.Origin, modeSetting.Value, ModeExpected)); break;
            }
        }

        var crls = new List<string>();
        foreach (var crl in settings.Where(s => s.Name == "crl"))
        {
            if (crl.Value.Length == 0)
                errors.Add(new ConfigError(crl.Origin, crl.Value, "expected the path of a CRL file (PEM or DER)"));
            else if (crls.Contains(crl.Value))
                errors.Add(new ConfigError(crl.Origin, crl.Value, "this file is already listed; give each CRL once"));
            else
                crls.Add(crl.Value);
        }

        var options = new RevocationOptions
        {
            Mode = mode,
            CrlFiles = crls,
            OcspTimeout = scalars.Duration("ocsp-timeout", RevocationOptions.DefaultOcspTimeout, allowZero: true),
        };

        // Revocation is about client certificates: without --client-ca there are none, and a flag that
        // silently does nothing would make the user believe revoked clients are refused.
        if (!settings.Any(s => s.Name == "client-ca"))
        {
            foreach (var orphan in settings.Where(s => s.Name is "crl" or "revocation" or "ocsp-timeout"))
            {
                errors.Add(new ConfigError(orphan.Origin, orphan.Value, "only means something with client certificates; add --client-ca FILE"));
            }
        }
        else if (mode == RevocationMode.Off && crls.Count > 0)
        {
            errors.Add(new ConfigError("--crl", crls[0], "--revocation off turns every check off; remove --crl or choose soft-fail or hard-fail"));
        }
        else if (mode == RevocationMode.HardFail && crls.Count == 0 && options.OcspTimeout == TimeSpan.Zero)
        {
            // Nothing could ever show a certificate good: every client would be refused.
            errors.Add(new ConfigError("--revocation", "hard-fail", "needs a source of status: add --crl FILE, or allow OCSP (--ocsp-timeout above 0)"));
        }

        return options;
    }
}
