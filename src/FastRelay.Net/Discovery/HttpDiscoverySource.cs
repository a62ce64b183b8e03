using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;

namespace FastRelay.Discovery;

/// <summary>
/// Asks the discovery endpoints over HTTP: <c>GET {URL}?service=SERVICE&amp;client=IP</c> (with <c>&amp;</c> when the URL
/// has a query already), answered with JSON or plain text (<see cref="DiscoveryAnswer"/>), read up to
/// <see cref="DiscoveryAnswer.MaxBodyBytes"/>. One pooled <see cref="SocketsHttpHandler"/> for all endpoints.
/// </summary>
/// <remarks>
/// The timeout is the caller's token (the cache cancels it after <c>--discovery-timeout</c>). No redirects, no proxy
/// from the environment, no cookies: the endpoint is configured, and its answer decides where traffic goes.
/// Thread-safe.
/// </remarks>
internal sealed class HttpDiscoverySource : IDiscoverySource, IDisposable
{
    private readonly HttpClient _client;
    private readonly Dictionary<string, string> _urls;
    private readonly bool _allowTunnel;

    /// <summary>Discovery requests in flight at once to one endpoint (host and port).</summary>
    public const int MaxConcurrentRequests = 64;

    public HttpDiscoverySource(DiscoveryOptions options, bool allowTunnel)
    {
        ArgumentNullException.ThrowIfNull(options);
        _allowTunnel = allowTunnel;
        _urls = options.Endpoints.ToDictionary(e => e.Service, e => e.Url.AbsoluteUri + (e.Url.Query.Length > 1 ? "&" : e.Url.Query.Length == 1 ? "" : "?"), StringComparer.Ordinal);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1), // The endpoint's name is re-resolved as it moves.
            MaxResponseHeadersLength = 16, // KiB.

            // A burst of new client addresses is a burst of lookups: at most this many run at once per endpoint, the
            // rest queue in the handler (and count as timeouts when --discovery-timeout passes first), so a scan of
            // addresses costs bounded sockets and body buffers, as an nginx upstream's keepalive pool would.
            MaxConnectionsPerServer = MaxConcurrentRequests,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain", 0.9));
    }

    /// <summary>The request URL for <paramref name="client"/> of <paramref name="service"/>.</summary>
    public string RequestUrl(string service, IPAddress client) =>
        $"{_urls[service]}service={Uri.EscapeDataString(service)}&client={Uri.EscapeDataString(client.ToString())}";

    /// <inheritdoc />
    public async Task<CacheFill<IReadOnlyList<TargetOptions>>> FetchAsync(string service, IPAddress client, CancellationToken cancellationToken)
    {
        var url = RequestUrl(service, client);
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return Failed(url, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            if (response.Content.Headers.ContentLength > DiscoveryAnswer.MaxBodyBytes)
            {
                return Failed(url, $"the answer is {response.Content.Headers.ContentLength} bytes; at most {DiscoveryAnswer.MaxBodyBytes} are read");
            }

            var buffer = ArrayPool<byte>.Shared.Rent(DiscoveryAnswer.MaxBodyBytes + 1);
            try
            {
                var length = await ReadBodyAsync(response, buffer, cancellationToken).ConfigureAwait(false);
                return DiscoveryAnswer.TryParse(buffer.AsSpan(0, length), response.Content.Headers.ContentType?.MediaType, _allowTunnel, out var targets, out var error)
                    ? CacheFill.Answer<IReadOnlyList<TargetOptions>>(targets!, TimeSpan.Zero)
                    : Failed(url, error);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return Failed(url, ex.InnerException?.Message ?? ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    // Reads at most buffer.Length bytes: one more than the cap, so an oversized chunked body is seen as such.
    private static async Task<int> ReadBodyAsync(HttpResponseMessage response, byte[] buffer, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return length;
    }

    private static CacheFill<IReadOnlyList<TargetOptions>> Failed(string url, string why) => CacheFill.Failed<IReadOnlyList<TargetOptions>>($"GET {url}: {why}");
}
