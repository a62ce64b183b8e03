namespace FastRelay.Filtering;

/// <summary>An inclusive range of TCP/UDP ports.</summary>
/// <param name="First">The lowest port, 0..65535.</param>
/// <param name="Last">The highest port, never below <paramref name="First"/>.</param>
internal readonly record struct PortRange(int First, int Last);
