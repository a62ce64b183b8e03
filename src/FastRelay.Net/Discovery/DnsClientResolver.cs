using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using FastRelay.Configuration;
using FastRelay.Routing.Discovery;

namespace FastRelay.Discovery;

/// <summary>
/// Resolves DNS names with their TTL through DnsClient (A and AAAA, asked in parallel), from <c>--dns-server</c> or the
/// system's servers (<c>/etc/resolv.conf</c>). With the system's servers, a name they do not answer is tried once more
/// through the system resolver (<c>/etc/hosts</c>, <c>localhost</c>, the rest of nsswitch), cached for the TTL floor.
/// </summary>
/// <remarks>DnsClient's own cache is off: <see cref="HostCache"/> caches, with the clamp. Thread-safe.</remarks>
internal sealed class DnsClientResolver : IHostResolver
{
    private readonly LookupClient? _client;
    private readonly bool _systemServers;
    private readonly TimeSpan _fallbackTtl;

    public DnsClientResolver(DnsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _systemServers = options.Servers.Count == 0;
        _fallbackTtl = options.MinTtl;
        try
        {
            // The system's servers without DnsClient's fallback to a public resolver: internal names must not leave.
            NameServer[] servers = _systemServers
                ? [.. NameServer.ResolveNameServers(skipIPv6SiteLocal: true, fallbackToGooglePublicDns: false)]
                : [.. options.Servers.Select(s => new NameServer(s))];
            var settings = new LookupClientOptions(servers);
            settings.UseCache = false;
            settings.ThrowDnsErrors = false;
            settings.Timeout = TimeSpan.FromSeconds(2);
            settings.Retries = 1;
            settings.ContinueOnDnsError = true; // Ask the next server when one answers SERVFAIL.
            _client = servers.Length == 0 ? null : new LookupClient(settings);
        }
        catch (Exception ex) when (_systemServers && ex is InvalidOperationException or ArgumentException or IOException or System.Net.NetworkInformation.NetworkInformationException)
        {
            // No readable /etc/resolv.conf (a bare container): names go to the system resolver alone, as before this cache.
            _client = null;
        }
    }

    /// <inheritdoc />
    public async Task<CacheFill<IPAddress[]>> ResolveAsync(string host, CancellationToken cancellationToken)
    {
        if (_client is null || (_systemServers && IsLocalhost(host)))
        {
            // RFC 6761 §6.3: localhost names are not sent to DNS servers; the system knows them.
            return await SystemResolveAsync(host, "not a DNS name", cancellationToken).ConfigureAwait(false);
        }

        string failure;
        var timedOut = false;
        try
        {
            var a = _client!.QueryAsync(host, QueryType.A, QueryClass.IN, cancellationToken);
            var aaaa = _client.QueryAsync(host, QueryType.AAAA, QueryClass.IN, cancellationToken);
            var answers = await Task.WhenAll(a, aaaa).ConfigureAwait(false);
            var addresses = new List<IPAddress>();
            var ttl = int.MaxValue;
            foreach (var record in answers.SelectMany(r => r.Answers))
            {
                var address = record switch
                {
                    ARecord v4 => v4.Address,
                    AaaaRecord v6 => v6.Address,
                    _ => null, // CNAMEs on the way: their targets' records follow.
                };
                if (address is not null)
                {
                    addresses.Add(address);
                    ttl = Math.Min(ttl, record.TimeToLive);
                }
            }

            if (addresses.Count > 0)
            {
                return CacheFill.Answer<IPAddress[]>([.. addresses], TimeSpan.FromSeconds(ttl));
            }

            failure = answers.FirstOrDefault(r => r.HasError)?.ErrorMessage is { } error ? $"DNS: {error}" : "DNS: no A or AAAA records";
        }
        catch (DnsResponseException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // No server answered within DnsClient's own timeout and retries (4 s), which end before HostCache's: still
            // a timeout for fastrelay_dns_resolutions_total, not a server's error answer.
            failure = $"DNS: {ex.Message}";
            timedOut = ex.Code == DnsResponseCode.ConnectionTimeout;
        }

        if (_systemServers)
        {
            var system = await SystemResolveAsync(host, failure, cancellationToken).ConfigureAwait(false);
            return system.Value is null && timedOut ? CacheFill.NoAnswer<IPAddress[]>(system.Failure!) : system;
        }

        return timedOut ? CacheFill.NoAnswer<IPAddress[]>(failure) : CacheFill.Failed<IPAddress[]>(failure);
    }

    private static bool IsLocalhost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);

    // /etc/hosts and the rest of nsswitch, which DnsClient does not read; getaddrinfo gives no TTL, so the floor.
    private async Task<CacheFill<IPAddress[]>> SystemResolveAsync(string host, string dnsFailure, CancellationToken cancellationToken)
    {
        try
        {
            var addresses = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return addresses.Length > 0 ? CacheFill.Answer<IPAddress[]>(addresses, _fallbackTtl) : CacheFill.Failed<IPAddress[]>(dnsFailure);
        }
        catch (SocketException ex)
        {
            return CacheFill.Failed<IPAddress[]>($"{dnsFailure}; system resolver: {ex.SocketErrorCode}");
        }
    }
}
