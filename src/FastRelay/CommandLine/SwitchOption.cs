using System.CommandLine;
using FastRelay.Configuration;

namespace FastRelay.CommandLine;

/// <summary>
/// A switch of an offline command (<c>keygen --force</c>, <c>ca issue --server</c>): alone it means true, and it takes
/// <c>true</c> or <c>false</c> as its value like the relay's switches (<c>--force=false</c>). Anything else is named with
/// the flag ("--force 'maybe': expected true or false (a switch)").
/// </summary>
/// <remarks>A string option, not the parser's bool: that one leaves a value it cannot read as a stray argument
/// ("'maybe': not expected here"), which does not say which flag it was meant for. A type of its own, so that
/// <see cref="ConfigArguments"/> checks a config file's value for it the same way.</remarks>
internal sealed class SwitchOption : Option<string>
{
    /// <summary>What a switch takes, for errors (the same words for a config file's value).</summary>
    public const string Expected = "expected true or false (a switch)";

    public SwitchOption(string name, string description)
        : base(name)
    {
        Description = description;
        Arity = ArgumentArity.ZeroOrOne;
        HelpName = "true|false";
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return bool.TrueString;
            }

            var value = result.Tokens[0].Value;
            if (bool.TryParse(value, out var parsed))
            {
                return parsed.ToString();
            }

            result.AddError(new ConfigError(name, value, Expected).ToString()); // From a --config file: ConfigArguments.NameOrigin names the file.
            return bool.FalseString;
        };
    }

    /// <summary>True when the switch was given alone or as <c>true</c>.</summary>
    public bool IsOn(ParseResult parseResult) => parseResult.GetValue(this) == bool.TrueString;
}
