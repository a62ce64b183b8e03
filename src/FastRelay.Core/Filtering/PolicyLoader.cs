using System.Globalization;
using System.Text;
using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.Filtering;

/// <summary>
/// Reads and validates a security-group policy (policy-format.md) from JSON text. Every error is collected,
/// each with its JSON path, the value and what was expected, and thrown together as one
/// <see cref="ConfigException"/>, so a user fixes a file in one pass and a reload can log them all.
/// </summary>
/// <remarks>
/// Pure: the caller reads the file (Core reads no files). Keys and enum values are case-insensitive;
/// comments and trailing commas are allowed, as in <c>--config</c> files. Thread-safe (static, no state).
/// </remarks>
internal static partial class PolicyLoader
{
    /// <summary>The priority of a rule without <c>Priority</c>: last.</summary>
    public const int DefaultPriority = 100;

    private static readonly string[] TopKeys = ["SecurityGroups", "IpSets", "DryRun"];
    private static readonly string[] GroupKeys = ["Name", "Direction", "Rules", "DryRun"];

    /// <summary>Loads a policy from JSON text.</summary>
    /// <exception cref="ConfigException">The text is not valid JSON or not a valid policy; every problem is listed.</exception>
    public static SecurityPolicy Load(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Load(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Loads a policy from UTF-8 JSON (a byte-order mark is allowed).</summary>
    /// <exception cref="ConfigException">The text is not valid JSON or not a valid policy; every problem is listed.</exception>
    public static SecurityPolicy Load(ReadOnlySpan<byte> utf8)
    {
        utf8 = utf8[Utf8Text.ByteOrderMarkLength(utf8)..];

        // JsonDocument checks UTF-8 only when a string is read, and then throws InvalidOperationException:
        // check it here so a file with a stray byte is a listed error, not a crash on reload.
        if (Utf8Text.FirstInvalidByte(utf8) is { } bad)
        {
            throw new ConfigException([new ConfigError($"byte {bad + 1}", null, "the file is not valid UTF-8 text; save it as UTF-8")]);
        }

        var errors = new List<ConfigError>();
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            document = JsonDocument.ParseValue(ref reader);

            // ParseValue stops after the first value: a second object or a merge conflict's markers after it would be
            // silently ignored. Reading on throws on anything but comments and white space.
            try
            {
                _ = reader.Read();
            }
            catch
            {
                document.Dispose();
                throw;
            }
        }
        catch (JsonException ex)
        {
            // LineNumber and BytePositionInLine are 0-based; the message repeats them so, after "LineNumber:".
            var message = ex.Message;
            var position = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            var path = message.IndexOf(" Path:", StringComparison.Ordinal);
            var cut = position < 0 ? path : path < 0 ? position : Math.Min(position, path);
            throw new ConfigException([new ConfigError($"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}", null,
                $"not valid JSON: {(cut > 0 ? message[..cut].TrimEnd(' ', '|') : message)}")]);
        }

        using (document)
        {
            if (JsonEscapes.FindInvalid(document.RootElement, "") is { Count: > 0 } unreadable)
            {
                throw new ConfigException([.. unreadable.Select(path => new ConfigError(path, null, JsonEscapes.Expected))]);
            }

            var policy = Read(document.RootElement, errors);
            if (errors.Count == 0 && CompiledRuleSet.TableBytesBound(policy) is var bytes && bytes > CompiledRuleSet.MaxTableBytes)
            {
                var rules = policy.Groups.Sum(g => g.Rules.Count);
                errors.Add(new ConfigError("SecurityGroups", null, string.Create(CultureInfo.InvariantCulture,
                    $"{rules:N0} rules would compile to up to {bytes >> 20:N0} MiB of match tables, over the limit of {CompiledRuleSet.MaxTableBytes >> 20} MiB (the tables grow with rules x distinct address and port ranges); put the addresses that share an action and ports into one rule through an IP set")));
            }

            return errors.Count == 0 ? policy : throw new ConfigException(errors);
        }
    }

    private static SecurityPolicy Read(JsonElement root, List<ConfigError> errors)
    {
        var top = JsonFields.Read(root, "", TopKeys, errors);
        var ipSets = ReadIpSets(top, errors);
        var groups = new List<SecurityGroup>();
        if (!top.TryGet("SecurityGroups", out var list))
        {
            if (root.ValueKind == JsonValueKind.Object)
            {
                top.Error("SecurityGroups", null, "required: an array of security groups, each with a Name and Rules");
            }
        }
        else if (list.ValueKind != JsonValueKind.Array)
        {
            top.Error("SecurityGroups", JsonFields.Shorten(list), "expected an array of security groups");
        }
        else
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var index = 0;
            foreach (var element in list.EnumerateArray())
            {
                groups.Add(ReadGroup(element, index++, ipSets, names, errors));
            }
        }

        return new SecurityPolicy(groups, ipSets) { DryRun = top.Boolean("DryRun") ?? false };
    }

    private static SecurityGroup ReadGroup(
        JsonElement element, int index, IReadOnlyDictionary<string, AddressSet> ipSets, HashSet<string> names, List<ConfigError> errors)
    {
        var firstError = errors.Count;
        var group = JsonFields.Read(element, $"SecurityGroups[{index}]", GroupKeys, errors);
        var name = group.String("Name", required: element.ValueKind == JsonValueKind.Object) ?? "";
        var nameIsGood = name.Trim().Length > 0 && name.Length <= 64;
        if (group.Has("Name") && !nameIsGood)
        {
            group.Error("Name", name, "a group name is 1 to 64 characters (it is shown in audit rows and metrics)");
        }
        else if (name.Any(char.IsControl))
        {
            // A line break or tab would split the line of a log, a table or an audit row that shows the name.
            group.Error("Name", JsonEncodedText.Encode(name).ToString(), "a group name has no control characters (line breaks, tabs): it is shown in logs, tables and audit rows");
        }
        else if (name.Length > 0 && !names.Add(name))
        {
            group.Error("Name", name, "another group has this name (names are case-insensitive); give each group its own");
        }

        var direction = ReadEnum(group, "Direction", DirectionNames);
        var rules = new List<FilterRule>();
        if (!group.TryGet("Rules", out var list))
        {
            if (element.ValueKind == JsonValueKind.Object) group.Error("Rules", null, "required: an array of rules");
        }
        else if (list.ValueKind != JsonValueKind.Array)
        {
            group.Error("Rules", JsonFields.Shorten(list), "expected an array of rules");
        }
        else
        {
            var ruleIndex = 0;
            foreach (var ruleElement in list.EnumerateArray())
            {
                var context = new GroupContext(name, index, direction, group.Has("Direction"), ipSets);
                if (ReadRule(ruleElement, context, ruleIndex++, errors) is { } rule)
                {
                    rules.Add(rule);
                }
            }
        }

        var dryRun = group.Boolean("DryRun") ?? false;

        // The group's Name in each of its errors (policy-format.md: shown in errors), after the JSON path, which
        // stays the index path: a name can repeat or be the value that is wrong.
        for (var e = firstError; nameIsGood && e < errors.Count; e++)
        {
            if (errors[e].Path != group.PathOf("Name"))
            {
                errors[e] = errors[e] with { Expected = $"{errors[e].Expected} (group '{name}')" };
            }
        }

        return new SecurityGroup(name, direction, rules) { DryRun = dryRun };
    }

    private static Dictionary<string, AddressSet> ReadIpSets(JsonFields top, List<ConfigError> errors)
    {
        var sets = new Dictionary<string, AddressSet>(StringComparer.OrdinalIgnoreCase);
        if (!top.TryGet("IpSets", out var element))
        {
            return sets;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            top.Error("IpSets", JsonFields.Shorten(element), "expected an object of named address lists, such as {\"api-gateway\": [\"203.0.113.0/24\"]}");
            return sets;
        }

        foreach (var property in element.EnumerateObject())
        {
            var path = $"IpSets.{property.Name}";
            if (property.Name.Trim().Length == 0 || AddressSyntax.TryParse(property.Name.Trim(), [], out _))
            {
                // A set named as an address or block would quietly stand in for the address it spells wherever a rule
                // names it ("0.0.0.0/0" meaning one host). Names that only look numeric ("2024", "aws:vpc") stay valid.
                errors.Add(new ConfigError(path, null, "an IP set's name must not be empty nor an IP address or CIDR block (it would stand in for that address); use a name such as \"api-gateway\""));
            }
            else if (sets.ContainsKey(property.Name))
            {
                errors.Add(new ConfigError(path, null, "another IP set has this name (names are case-insensitive); merge them"));
            }
            else
            {
                // A set that is wrong (not a list, empty, a bad entry) is still defined, with no addresses: its own error
                // is listed and refuses the policy, and the rules that name it must not add "undefined IP set" each.
                sets.Add(property.Name, new AddressSet(ReadSetAddresses(property.Value, path, errors) ?? [], property.Name));
            }
        }

        return sets;
    }

    private static List<AddressRange>? ReadSetAddresses(JsonElement value, string path, List<ConfigError> errors)
    {
        if (JsonFields.StringsOf(value, path, errors) is not { } entries)
        {
            return null; // The error is listed.
        }

        if (entries.Count == 0 || entries.Any(e => e.Value.Trim().Length == 0))
        {
            errors.Add(new ConfigError(path, JsonFields.Shorten(value), "expected a non-empty array of addresses or CIDR blocks"));
            return null;
        }

        var ranges = new List<AddressRange>();
        var ok = true;
        foreach (var (entryPath, entry) in entries)
        {
            foreach (var item in entry.Split(',').Select(s => s.Trim()))
            {
                if (!AddressSyntax.TryParse(item, ranges, out var error))
                {
                    errors.Add(new ConfigError(entryPath, item, AddressSyntax.LooksLikeAddress(item) ? error : $"{AddressSyntax.Expected} (an IP set cannot name another set)"));
                    ok = false;
                }
            }
        }

        return ok ? ranges : null;
    }

    /// <summary>What a rule needs from its group.</summary>
    private sealed record GroupContext(
        string Name, int Index, FilterDirection? Direction, bool DirectionGiven, IReadOnlyDictionary<string, AddressSet> IpSets);
}
