using System.Globalization;
using FastRelay.Filtering;

namespace FastRelay.CommandLine;

/// <summary>The text of <c>policy explain</c>: the decision, the request, why the rule matched, and what came before it.</summary>
internal static class PolicyExplanation
{
    // Past this many rules before the decider, the rest are counted rather than listed.
    private const int MaxListed = 25;

    /// <summary>
    /// The decision the relay enforces (<see cref="SecurityPolicy.Enforced"/>, as the relay's PolicySnapshot takes it),
    /// explained; with DryRun groups, what they would change.
    /// </summary>
    public static void PrintEnforced(SecurityPolicy policy, FilterRequest request, TextWriter output)
    {
        var full = new CompiledRuleSet(policy).Decide(request);
        var enforcedPolicy = policy.Enforced();
        if (ReferenceEquals(enforcedPolicy, policy))
        {
            Print(policy, request, full, output);
            return;
        }

        if (enforcedPolicy is null)
        {
            output.WriteLine("Allow: the whole policy is DryRun (logged and counted, nothing enforced)");
            output.WriteLine($"  dry run: it would be {Headline(request, full)}");
            Print(policy, request, full, output, headline: false);
            return;
        }

        var enforced = new CompiledRuleSet(enforcedPolicy).Decide(request);
        Print(enforcedPolicy, request, enforced, output);
        var staged = string.Join(", ", policy.Groups.Where(g => g.DryRun).Select(g => g.Name));
        output.WriteLine(full.Rule == enforced.Rule
            ? $"  dry run: the DryRun groups ({staged}) would not change it"
            : $"  dry run: with the DryRun groups ({staged}) it would be {Headline(request, full)}");
    }

    /// <summary>The first line: the action and the deciding rule, or the default deny.</summary>
    public static string Headline(FilterRequest request, FilterDecision decision) => decision.Rule is not { } rule
        ? $"Deny by default deny: no {request.Direction} rule matches"
        : $"{decision.Action} by {rule.Label} (group {rule.GroupName}, rule index {rule.RuleIndex}, priority {rule.Priority})";

    public static void Print(SecurityPolicy policy, FilterRequest request, FilterDecision decision, TextWriter output, bool headline = true)
    {
        var rule = decision.Rule;
        if (headline)
        {
            output.WriteLine(Headline(request, decision));
        }

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
