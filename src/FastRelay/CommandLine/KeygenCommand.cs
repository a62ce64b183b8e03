using System.CommandLine;
using FastRelay.Tunnel.Handshake;
using FastRelay.Tunnel.Noise;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay keygen --out FILE [--force]</c> (cli.md, README "Tunnel keys"): makes a tunnel static key pair, writes the
/// private key to FILE (one base64 line, mode 0600) and prints the public key on stdout, for <c>--edge-key</c> or
/// <c>--gateway-key</c> on the other side. Exit 0; 2 for bad flags; 1 when the file exists (without --force) or cannot be written.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "Where to write the private key (created with mode 0600; an existing file is refused unless --force).",
            Required = true,
            HelpName = "FILE",
        };
        var force = new SwitchOption("--force", "Overwrite FILE if it exists [default: off]");
        var command = new Command("keygen", "Make a tunnel key pair: write the X25519 private key to FILE (mode 0600) and print the public key (base64) on stdout.")
        {
            output,
            force,
        };
        command.SetAction(parseResult => Run(parseResult.GetValue(output)!, force.IsOn(parseResult)));
        return command;
    }

    private static int Run(string path, bool force)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add(new Configuration.ConfigError("--out", path, "expected the path of the private key file to write").ToString());
        }

        if (ExitCodes.MustStop(errors))
        {
            return ExitCodes.PrintConfigErrors(errors); // With the parser's errors, when it found any (Program.ChecksFirst).
        }

        if (!force && (File.Exists(path) || Directory.Exists(path)))
        {
            Console.Error.WriteLine($"fastrelay keygen: '{path}' already exists (use --force to overwrite it)");
            return ExitCodes.RuntimeFailure;
        }

        using var keyPair = X25519Dh.Instance.GenerateKeyPair();
        try
        {
            TunnelKeyFile.Write(path, keyPair, force);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException and not (ArgumentNullException or ArgumentOutOfRangeException))
        {
            Console.Error.WriteLine($"fastrelay keygen: cannot write '{path}': {e.Message}");
            return ExitCodes.RuntimeFailure;
        }

        Console.Out.WriteLine(keyPair.PublicKeyBase64);
        return ExitCodes.Success;
    }
}
