namespace FastRelay.Tls.Revocation;

/// <summary>A CRL file cannot be used: the message names the file and what is wrong, ready to print.</summary>
internal sealed class RevocationLoadException : Exception
{
    public RevocationLoadException(string message)
        : base(message)
    {
    }

    public RevocationLoadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RevocationLoadException()
    {
    }
}
