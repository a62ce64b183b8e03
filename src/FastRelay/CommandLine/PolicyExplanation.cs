using System.Globalization;
using FastRelay.Filtering;

namespace FastRelay.CommandLine;

/// <summary>The text of <c>policy explain</c>: the decision, the request, why the rule matched, and what came before it.</summary>
internal static class PolicyExplanation
{
    // Past this many rules before the decider, the rest are counted rather than listed.
    private const int MaxListed = 25;

    public static void Print(SecurityPolicy policy, FilterRequest request, FilterDecision decision, TextWriter output)
    {
        var rule = decision.Rule;
        output.WriteLine(rule is null
            ? $"Deny by default deny: no {request.Direction} rule matches"
            : $"{decision.Action} by {rule.Label} (group {rule.GroupName}, rule index {rule.RuleIndex}, priority {rule.Priority})");
        output.WriteLine($"  request: {request.Direction} {request.Tuple} at {request.Time.ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture)}, "
            + $"identity {(request.Identity is null ? "(none)" : request.Identity.ToString())}, service {request.Service ?? "(none)"}");
        if (rule is not null)
        {
            output.WriteLine("  why:");
            foreach (var line in rule.DescribeMatch(request))
            {
                output.WriteLine("    " + line);
            }
        }

        var before = new List<FilterRule>();
        foreach (var candidate in policy.RulesInOrder(request.Direction))
        {
            if (candidate == rule) break;
            before.Add(candidate);
        }

        output.WriteLine(before.Count == 0
            ? "  no rule comes before it in evaluation order"
            : $"  {(rule is null ? "rules" : "rules before it")} in evaluation order ({before.Count}), and why each did not match:");
        foreach (var skipped in before.Take(MaxListed))
        {
            output.WriteLine($"    {skipped.Label} ({skipped.Action}, priority {skipped.Priority}): {skipped.FindMismatch(request)}");
        }

        if (before.Count > MaxListed)
        {
            output.WriteLine($"    ... and {before.Count - MaxListed} more");
        }
    }
}
