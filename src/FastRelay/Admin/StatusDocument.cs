using System.Globalization;
using System.Text.Json;

namespace FastRelay.Admin;

/// <summary>Writes <c>/status</c>: one JSON object describing the running edge (README, "Operating").</summary>
internal static class StatusDocument
{
    public static byte[] Write(AdminState state)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var now = state.Time.GetUtcNow();
            var server = state.Server;
            json.WriteStartObject();
            json.WriteString("version", state.Version);
            json.WriteNumber("pid", Environment.ProcessId);
            json.WriteString("startedAt", Timestamp(state.StartedAt));
            json.WriteNumber("uptimeSeconds", Math.Round((now - state.StartedAt).TotalSeconds, 3));
            json.WriteString("state", state.Draining ? "draining" : server is null && state.Role is null ? "starting" : "running");
            json.WriteString("admin", state.AdminEndPoint?.ToString());

            json.WriteStartArray("listeners");
            foreach (var (service, endPoint) in server?.Listeners ?? state.Traffic?.Listeners() ?? [])
            {
                json.WriteStartObject();
                json.WriteString("service", service);
                json.WriteString("address", endPoint.ToString());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("routes");
            foreach (var route in state.Balancing?.Routes() ?? state.Options.Routes)
            {
                json.WriteStartObject();
                json.WriteString("service", route.Service);
                json.WriteStartArray("targets");
                foreach (var target in route.Targets)
                {
                    json.WriteStringValue(target.Weight == 1 ? target.ToString() : $"{target};weight={target.Weight}");
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("connections");
            json.WriteNumber("active", server?.ActiveConnections ?? state.Traffic?.Active() ?? 0);
            json.WriteNumber("closed", server?.Closed.Total ?? state.Traffic?.Closed() ?? 0);
            json.WriteEndObject();

            json.WriteStartObject("policy");
            json.WriteString("file", state.Options.PolicyFile);
            var policy = server?.Policy ?? state.Role?.Policy;
            json.WriteBoolean("filtering", policy?.IsFiltering ?? false);
            json.WriteNumber("version", policy?.Version ?? 0);
            WriteRuleHits(json, policy);
            json.WriteEndObject();

            WriteMemory(json);
            WriteBackends(json, state);
            WriteGateways(json, state);
            WriteCertificates(json, state, now);
            WriteReadiness(json, state);
            json.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    // Decisions of the installed policy by deciding rule, DryRun groups included (the decision they would make): the
    // rules that decided at least once, so a policy of thousands of rules stays a short answer, and the default deny.
    private static void WriteRuleHits(Utf8JsonWriter json, FastRelay.Filtering.PolicyGate? policy)
    {
        if (policy is null || !policy.IsFiltering)
        {
            return;
        }

        var hits = policy.Hits;
        json.WriteStartObject("ruleHits");
        foreach (var (rule, count) in hits)
        {
            if (count > 0 && rule != "default deny")
            {
                json.WriteNumber(rule, count);
            }
        }

        json.WriteNumber("default deny", hits.GetValueOrDefault("default deny"));
        json.WriteEndObject();
    }

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    // What a connection costs (fastrelay-bench idle reads it): the process's resident memory and the GC heap
    // as of the last collection, so idle connections can be measured from outside.
    private static void WriteMemory(Utf8JsonWriter json)
    {
        var gc = GC.GetGCMemoryInfo();
        json.WriteStartObject("memory");
        json.WriteNumber("workingSetBytes", Environment.WorkingSet);
        json.WriteNumber("gcHeapBytes", gc.HeapSizeBytes);
        json.WriteNumber("gcCommittedBytes", gc.TotalCommittedBytes);
        json.WriteNumber("gcCollections", GC.CollectionCount(0));
        json.WriteEndObject();
    }

    // Every route's backends with what the picker sees: health, ejection, sessions, connect time.
    private static void WriteBackends(Utf8JsonWriter json, AdminState state)
    {
        json.WriteStartArray("backends");
        foreach (var backend in state.Balancing?.Backends() ?? [])
        {
            json.WriteStartObject();
            json.WriteString("service", backend.Service);
            json.WriteString("backend", backend.Backend);
            json.WriteNumber("weight", backend.Weight);
            json.WriteBoolean("healthy", backend.Healthy);
            json.WriteBoolean("ejected", backend.Ejected);
            json.WriteNumber("outstanding", backend.Outstanding);
            json.WriteNumber("connectMsEwma", Math.Round(backend.ConnectMsEwma, 3));
            json.WriteNumber("ejections", backend.Ejections);
            json.WriteNumber("connectFailures", backend.ConnectFailures);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteGateways(Utf8JsonWriter json, AdminState state)
    {
        json.WriteStartArray("gateways");
        foreach (var gateway in state.Gateways.SelectMany(source => source()))
        {
            json.WriteStartObject();
            json.WriteString("address", gateway.Address);
            json.WriteBoolean("healthy", gateway.Healthy);
            json.WriteString("detail", gateway.Detail);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteCertificates(Utf8JsonWriter json, AdminState state, DateTimeOffset now)
    {
        json.WriteStartArray("certificates");
        foreach (var certificate in state.Certificates.SelectMany(source => source()))
        {
            json.WriteStartObject();
            json.WriteString("name", certificate.Name);
            json.WriteString("subject", certificate.Subject);
            json.WriteString("notAfter", Timestamp(certificate.NotAfter));
            json.WriteNumber("daysToExpiry", Math.Round((certificate.NotAfter - now).TotalDays, 2));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteReadiness(Utf8JsonWriter json, AdminState state)
    {
        json.WriteStartArray("readiness");
        foreach (var check in state.ReadinessChecks)
        {
            var ready = check.IsReady(out var detail);
            json.WriteStartObject();
            json.WriteString("name", check.Name);
            json.WriteBoolean("ready", ready);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
