using System.ComponentModel;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FastRelay.Tls;

/// <summary>
/// The server handshake of one connection, with what it learnt: the SNI name, the route it picked, and the
/// client certificate verdict. Reused by the next connection (its callbacks are allocated once).
/// </summary>
/// <remarks>
/// The TLS 1.3 trap: when we reject a client certificate, the client's own handshake call has already
/// succeeded and it only sees the connection end on its first read. So the reason is kept here (the
/// verdict, the SNI refusal) and reported by the connection: log line, close reason, event detail.
/// </remarks>
internal sealed class TlsHandshake
{
    private readonly ServerOptionsSelectionCallback _selectOptions;
    private readonly RemoteCertificateValidationCallback _validate;
    private TlsMaterial? _material;
    private SniRouter? _router;
    private string _defaultService = "";

    public TlsHandshake()
    {
        _selectOptions = SelectOptions;
        _validate = ValidateClientCertificate;
    }

    /// <summary>The SNI host name the client sent; null when none.</summary>
    public string? ServerName { get; private set; }

    /// <summary>The route picked from the SNI name (or the listener's default); null when refused.</summary>
    public string? Service { get; private set; }

    /// <summary>The client certificate verdict; null when none was asked for (or the handshake ended before it).</summary>
    public CertificateVerdict? Verdict { get; private set; }

    private string? _refusal;

    /// <summary>
    /// Runs the handshake on <paramref name="stream"/> with the store's current material, bounded by its
    /// handshake timeout; then the revocation check, if one is configured. Never throws for an outcome.
    /// </summary>
    public async Task<HandshakeOutcome> RunAsync(SslStream stream, TlsMaterialStore store, SniRouter router, string defaultService, TimeProvider time)
    {
        _material = store.Current;
        _router = router;
        _defaultService = defaultService;
        ServerName = null;
        Service = null;
        Verdict = null;
        _refusal = null;
        var timeout = store.Options.HandshakeTimeout;
        using var deadline = new CancellationTokenSource(timeout, time);
        try
        {
            await stream.AuthenticateAsServerAsync(_selectOptions, null, deadline.Token);
        }
        catch (Exception ex) when (deadline.IsCancellationRequested && ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return HandshakeOutcome.Failed($"no complete handshake within {Configuration.ValueSyntax.FormatDuration(timeout)} (--tls-handshake-timeout)");
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or Win32Exception or OperationCanceledException)
        {
            return Verdict is { Allowed: false } rejected ? HandshakeOutcome.Rejected(rejected.Reason!)
                : _refusal is not null ? HandshakeOutcome.Failed(_refusal)
                : HandshakeOutcome.Failed(Describe(ex));
        }

        if (_material.ClientCa is not null && Verdict is null)
        {
            // A resumed session skips the certificate callback; .NET still has the peer's certificate.
            Verdict = _material.Validator!.Validate(stream.RemoteCertificate, null, stream.RemoteCertificate is null ? SslPolicyErrors.RemoteCertificateNotAvailable : SslPolicyErrors.None);
            if (!Verdict.Allowed)
            {
                return HandshakeOutcome.Rejected(Verdict.Reason!);
            }
        }

        if (SharedServerContext.Check(_material.Server.Shared, stream) is { } unsafeContext)
        {
            return HandshakeOutcome.Failed(unsafeContext);
        }

        if (store.Revocation is { } revocation && Verdict?.Chain is { } chain)
        {
            RevocationVerdict revoked;
            try
            {
                revoked = await revocation.CheckAsync(chain, deadline.Token);
            }
#pragma warning disable CA1031 // The checker must not throw (IRevocationChecker); if it does, this connection fails with the reason, not as an unexpected error.
            catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
            {
                return HandshakeOutcome.Failed($"revocation check failed: {ex.GetType().Name}: {ex.Message}");
            }

            if (!revoked.Allowed)
            {
                return HandshakeOutcome.Rejected($"revocation check: {revoked.Detail ?? "revoked"}");
            }
        }

        return HandshakeOutcome.Success;
    }

    private ValueTask<SslServerAuthenticationOptions> SelectOptions(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
    {
        ServerName = string.IsNullOrEmpty(hello.ServerName) ? null : hello.ServerName;
        Service = _router!.Pick(ServerName, _defaultService);
        if (Service is null)
        {
            _refusal = ServerName is null
                ? "the client sent no SNI name and this listener has no default service (--listen SERVICE@ADDR:PORT)"
                : $"SNI name '{ServerName}' names no route and this listener has no default service (--listen SERVICE@ADDR:PORT)";
            throw new AuthenticationException(_refusal);
        }

        return ValueTask.FromResult(ServerAuthentication.Create(_material!, _validate));
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        Verdict = _material!.Validator!.Validate(certificate, chain, errors);
        return Verdict.Allowed;
    }

    private static string Describe(Exception ex)
    {
        if (ex is IOException && ex.InnerException is null && ex.Message.Contains("EOF", StringComparison.OrdinalIgnoreCase))
        {
            return "the client closed the connection during the handshake";
        }

        // The innermost message is OpenSSL's ("unsupported protocol", "no shared cipher"); the outer one says which step.
        var inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return ReferenceEquals(inner, ex) ? ex.Message : $"{ex.Message} ({inner.Message.Trim()})";
    }
}
