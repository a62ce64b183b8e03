using System.CommandLine;
using FastRelay.Filtering;

namespace FastRelay.CommandLine;

/// <summary>
/// <c>fastrelay policy check FILE</c>: validates the file in full; if valid, lists its groups, rules (with
/// defaults and inferred directions shown) and the evaluation order of each checkpoint, and exits 0; if not,
/// lists every error with its JSON path on stderr and exits 2.
/// </summary>
internal static class PolicyCheckCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "The policy file (JSON)." };
        var command = new Command("check", "Validate a policy file; list its groups, rules and inferred directions. Exit 0 if valid, 2 with every error listed if not.");
        command.Arguments.Add(file);
        command.SetAction(parseResult =>
        {
            var path = parseResult.GetValue(file)!;
            var errors = new List<string>();
            var policy = PolicyFile.TryLoad(path, errors);
            if (ExitCodes.PendingParseErrors is { Count: > 0 })
            {
                // An unknown flag too: every error in one list, the file's named by it (Program.ChecksFirst).
                return ExitCodes.PrintConfigErrors(errors.Select(e => $"{Path.GetFileName(path)}: {e}"));
            }

            if (policy is null)
            {
                return PolicyFile.PrintErrors(path, errors);
            }

            Print(path, policy, Console.Out);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Print(string path, SecurityPolicy policy, TextWriter output)
    {
        var rules = policy.Groups.SelectMany(g => g.Rules).ToList();
        var inbound = policy.RulesInOrder(FilterDirection.Inbound).ToArray();
        var outbound = policy.RulesInOrder(FilterDirection.Outbound).ToArray();
        output.WriteLine($"{path}: valid: {Count(policy.Groups.Count, "security group")}, {Count(rules.Count, "rule")} ({inbound.Length} Inbound, {outbound.Length} Outbound), {Count(policy.IpSets.Count, "IP set")}");
        if (policy.DryRun)
        {
            output.WriteLine("DryRun: the whole policy is logged and counted, nothing is enforced");
        }
        foreach (var group in policy.Groups)
        {
            output.WriteLine();
            output.WriteLine($"{group.Name}{(group.Direction is { } d ? $" (Direction {d})" : "")}{(group.DryRun ? " (DryRun: logged and counted, not enforced)" : "")}");
            foreach (var rule in group.Rules)
            {
                output.WriteLine("  " + rule.Describe());
            }
        }

        foreach (var (name, set) in policy.IpSets)
        {
            output.WriteLine();
            output.WriteLine($"IP set {name}: {set.Ranges.Length} range{(set.Ranges.Length == 1 ? "" : "s")}");
        }

        output.WriteLine();
        output.WriteLine("Evaluation order (by Priority, Deny before Allow at equal priority, first match decides, no match = Deny):");
        output.WriteLine($"  Inbound:  {Order(policy, inbound)}");
        output.WriteLine($"  Outbound: {Order(policy, outbound)}");
    }

    // A DryRun rule is marked where it stands: it decides what is logged and counted, and enforcement skips it.
    private static string Order(SecurityPolicy policy, FilterRule[] rules) =>
        rules.Length == 0 ? "(no rules: every connection is denied)"
            : string.Join(", ", rules.Select(r => $"{r.Label} ({r.Action}, {r.Priority}{(policy.DryRun || policy.Groups[r.GroupIndex].DryRun ? ", DryRun" : "")})"));

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";
}
