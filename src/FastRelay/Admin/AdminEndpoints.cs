using System.Net;
using System.Text;
using System.Text.Json;
using FastRelay.Diagnostics.Prometheus;
using Microsoft.AspNetCore.Http;

namespace FastRelay.Admin;

/// <summary>
/// The admin endpoint's routes, one terminal handler without MVC or routing (a handful of fixed paths):
/// GET /metrics, /healthz, /readyz, /status; POST /reload, /drain.
/// </summary>
/// <remarks>
/// POST actions are refused (403) from a non-loopback client while the endpoint is bound to loopback: a
/// local port forward or proxy must not turn a read-only scrape port into a remote drain button. Bind
/// <c>--admin</c> to a non-loopback address to allow them from the network (README, "Operating").
/// </remarks>
internal sealed class AdminEndpoints(AdminState state)
{
    public Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var isGet = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        var isPost = HttpMethods.IsPost(context.Request.Method);
        return path switch
        {
            "/metrics" when isGet => MetricsAsync(context),
            "/healthz" when isGet => TextAsync(context, StatusCodes.Status200OK, "ok\n"),
            "/readyz" when isGet => ReadyAsync(context),
            "/status" when isGet => JsonAsync(context, StatusCodes.Status200OK, StatusDocument.Write(state)),
            "/reload" when isPost => ActionAsync(context, ReloadAsync),
            "/drain" when isPost => ActionAsync(context, DrainAsync),
            "/metrics" or "/healthz" or "/readyz" or "/status" => MethodNotAllowedAsync(context, "GET, HEAD"),
            "/reload" or "/drain" => MethodNotAllowedAsync(context, "POST"),
            "/" => TextAsync(context, StatusCodes.Status200OK, "FastRelay admin: GET /metrics /healthz /readyz /status; POST /reload /drain\n"),
            _ => TextAsync(context, StatusCodes.Status404NotFound, $"no such endpoint: {path}\n"),
        };
    }

    private Task MetricsAsync(HttpContext context)
    {
        if (state.Metrics is not { } metrics)
        {
            return TextAsync(context, StatusCodes.Status404NotFound, "metrics are off\n");
        }

        context.Response.ContentType = PrometheusText.ContentType;
        return context.Response.WriteAsync(metrics.Scrape(), Encoding.UTF8);
    }

    private Task ReadyAsync(HttpContext context)
    {
        var body = new StringBuilder();
        var ready = true;
        foreach (var check in state.ReadinessChecks)
        {
            var ok = check.IsReady(out var detail);
            ready &= ok;
            body.Append(check.Name).Append(ok ? ": ready (" : ": NOT ready (").Append(detail).Append(")\n");
        }

        return TextAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, (ready ? "ready\n" : "not ready\n") + body);
    }

    private Task ActionAsync(HttpContext context, Func<HttpContext, Task> action)
    {
        var remote = context.Connection.RemoteIpAddress;
        var bound = state.AdminEndPoint?.Address;
        var loopbackOnly = bound is null || IPAddress.IsLoopback(bound);
        if (loopbackOnly && (remote is null || !IPAddress.IsLoopback(remote)))
        {
            return TextAsync(context, StatusCodes.Status403Forbidden,
                "admin actions are accepted from loopback only while --admin is a loopback address\n");
        }

        if (!state.ActionsReady)
        {
            return TextAsync(context, StatusCodes.Status503ServiceUnavailable, "starting: admin actions are available once the listeners are up; retry\n");
        }

        return action(context);
    }

    private Task ReloadAsync(HttpContext context)
    {
        var report = state.Reload("POST /reload");
        return JsonAsync(context, report.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity, Json(writer =>
        {
            writer.WriteBoolean("reloaded", report.Succeeded);
            writer.WriteStartArray("messages");
            report.Messages.ToList().ForEach(writer.WriteStringValue);
            writer.WriteEndArray();
        }));
    }

    private Task DrainAsync(HttpContext context)
    {
        if (state.Drain is not { } drain)
        {
            return TextAsync(context, StatusCodes.Status404NotFound, "draining is not available\n");
        }

        drain("POST /drain");
        return JsonAsync(context, StatusCodes.Status202Accepted, Json(writer =>
        {
            writer.WriteBoolean("draining", true);
            writer.WriteNumber("drainTimeoutSeconds", state.Options.DrainTimeout.TotalSeconds);
        }));
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static Task JsonAsync(HttpContext context, int status, byte[] body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private static Task TextAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(body, Encoding.UTF8);
    }

    private static Task MethodNotAllowedAsync(HttpContext context, string allow)
    {
        context.Response.Headers.Allow = allow;
        return TextAsync(context, StatusCodes.Status405MethodNotAllowed, $"use {allow}\n");
    }
}
