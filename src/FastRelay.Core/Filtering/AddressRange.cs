namespace FastRelay.Filtering;

/// <summary>An inclusive range of <see cref="AddressKey"/>s: what one address or CIDR block covers.</summary>
/// <param name="First">The lowest key in the range.</param>
/// <param name="Last">The highest key in the range; never below <paramref name="First"/>.</param>
internal readonly record struct AddressRange(UInt128 First, UInt128 Last)
{
    /// <summary>Every IPv4 and IPv6 address: what an absent <c>SourceIP</c> or <c>DestinationIP</c> means.</summary>
    public static AddressRange Everything => new(UInt128.MinValue, UInt128.MaxValue);
}
