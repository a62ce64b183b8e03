namespace FastRelay.Configuration;

/// <summary>How a plain TCP connection's bytes move between its two sockets (<c>--data-path</c>).</summary>
public enum DataPath
{
    /// <summary>
    /// FastRelay's own epoll loops (one per core) read each socket and send to the other from the loop thread, one
    /// recv and one send per chunk (Linux x86-64; elsewhere <see cref="Pipes"/>).
    /// </summary>
    Epoll,

    /// <summary>The runtime's sockets with a pipe per direction and a pump between them: the path TLS and tunnel streams always take.</summary>
    Pipes,
}
