namespace FastRelay.Pki;

/// <summary>
/// A <c>fastrelay ca</c> operation cannot be done: the message names the input (directory, file, serial)
/// and what was expected, ready to print as one line.
/// </summary>
internal sealed class PkiException : Exception
{
    public PkiException(string message)
        : base(message)
    {
    }

    public PkiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PkiException()
    {
    }
}
