using System.Text.Json;
using FastRelay.Configuration;

namespace FastRelay.Filtering;

/// <summary>Reading the structured fields of a rule: addresses and IP sets, time windows, identities.</summary>
internal static partial class PolicyLoader
{
    private static readonly string[] TimeWindowKeys = ["Days", "Start", "End", "TimeZone"];

    private static AddressSet ReadAddresses(JsonFields rule, string name, IReadOnlyDictionary<string, AddressSet> ipSets)
    {
        if (rule.Strings(name) is not { } entries)
        {
            return AddressSet.Any;
        }

        if (entries.Count == 0)
        {
            rule.Error(name, "[]", $"an empty list matches nothing; {AddressSyntax.Expected}, or leave {name} out for any");
        }

        var ranges = new List<AddressRange>();
        var texts = new List<string>();
        foreach (var (path, value) in entries)
        {
            foreach (var item in value.Split(',').Select(s => s.Trim()))
            {
                texts.Add(item);
                if (item.Length == 0)
                {
                    rule.ErrorAt(path, value, $"an empty entry; {AddressSyntax.Expected}, or the name of an IP set");
                }
                else if (ipSets.TryGetValue(item, out var set))
                {
                    ranges.AddRange(set.Ranges); // Never an address in disguise: a set may not be named as one.
                }
                else if (AddressSyntax.LooksLikeAddress(item))
                {
                    if (!AddressSyntax.TryParse(item, ranges, out var error)) rule.ErrorAt(path, item, error);
                }
                else
                {
                    rule.ErrorAt(path, item, "undefined IP set; define it under \"IpSets\"");
                }
            }
        }

        return new AddressSet(ranges, string.Join(",", texts));
    }

    private static TimeWindow? ReadTimeWindow(JsonFields rule, List<ConfigError> errors)
    {
        if (!rule.TryGet("TimeWindow", out var element))
        {
            return null;
        }

        var before = errors.Count;
        var window = JsonFields.Read(element, rule.PathOf("TimeWindow"), TimeWindowKeys, errors);
        var days = TimeWindowSyntax.EveryDay;
        if (window.String("Days") is { } daysText && !TimeWindowSyntax.TryParseDays(daysText, out days))
        {
            window.Error("Days", daysText, TimeWindowSyntax.DaysExpected);
        }

        var start = ReadClock(window, "Start");
        var end = ReadClock(window, "End");
        if (window.Has("Start") != window.Has("End"))
        {
            window.Error(window.Has("Start") ? "End" : "Start", null, "Start and End go together; give both, or neither for the whole day");
        }
        else if (window.Has("Start") && start == end && errors.Count == before)
        {
            window.Error("End", window.String("End"), "is the same as Start; for the whole day leave out both");
        }
        else if (window.Has("Start") && start == TimeSpan.FromDays(1) && end == TimeSpan.Zero && errors.Count == before)
        {
            // 24:00 to 00:00 is the same instant: an empty window that never matches (as Start equal to End would be).
            window.Error("End", window.String("End"), "24:00 to 00:00 is an empty window; for the whole day leave out both");
        }

        var zone = TimeZoneInfo.Utc;
        if (window.String("TimeZone") is { } zoneId && !TimeWindowSyntax.TryFindZone(zoneId, out zone))
        {
            window.Error("TimeZone", zoneId, "unknown time zone; expected an IANA name such as Asia/Shanghai, Europe/Berlin or UTC");
        }

        if (errors.Count > before || element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var hasClock = window.Has("Start");
        return new TimeWindow(days, hasClock ? start : TimeSpan.Zero, hasClock ? end : TimeSpan.FromDays(1), zone, FormatWindow(window));
    }

    private static TimeSpan ReadClock(JsonFields window, string name)
    {
        if (window.String(name) is not { } text)
        {
            return TimeSpan.Zero;
        }

        if (!TimeWindowSyntax.TryParseClock(text, out var clock))
        {
            window.Error(name, text, TimeWindowSyntax.ClockExpected);
        }

        return clock;
    }

    private static string FormatWindow(JsonFields window) =>
        $"{window.String("Days") ?? "every day"} {(window.Has("Start") ? $"{window.String("Start")}-{window.String("End")}" : "all day")} {window.String("TimeZone") ?? "UTC"}";

    private static List<IdentityPattern> ReadIdentity(JsonFields rule)
    {
        if (rule.Strings("Identity") is not { } entries)
        {
            return [];
        }

        var patterns = new List<IdentityPattern>();
        foreach (var (path, value) in entries)
        {
            if (IdentityPattern.TryParse(value, out var pattern)) patterns.Add(pattern!);
            else rule.ErrorAt(path, value, $"{ClientIdentity.Expected}, with * as a wildcard");
        }

        if (entries.Count == 0)
        {
            rule.Error("Identity", "[]", $"an empty list; {ClientIdentity.Expected}, or leave Identity out for anyone");
        }

        return patterns;
    }
}
