using System.Buffers;
using System.Buffers.Binary;
using FastRelay.Tunnel.Identity;

namespace FastRelay.Tunnel.Handshake;

/// <summary>
/// The nested TLVs of the identity payload's <c>settings</c> item (docs/PROTOCOL.md "Settings"). Every setting has an
/// even type (a peer that does not understand it must fail) and a fixed size; out-of-range values are fatal because
/// they would break the peer's flow control or liveness arithmetic.
/// </summary>
internal static class TunnelSettingsCodec
{
    public const ushort MaxRecordType = 0x02;
    public const ushort InitialWindowType = 0x04;
    public const ushort MaxStreamsType = 0x06;
    public const ushort PingIntervalType = 0x08;
    public const ushort PingMissLimitType = 0x0A;
    public const ushort RekeyIntervalType = 0x0C;
    public const ushort MaxEpochAgeType = 0x0E;

    /// <summary>The smallest max_record: an OPEN (≤ 1024 bytes of body) plus headers and tag must fit.</summary>
    public const int MinRecord = 2048;

    /// <summary>The nested TLV bytes of <paramref name="settings"/> (every setting, explicit).</summary>
    public static byte[] Encode(TunnelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var writer = new ArrayBufferWriter<byte>(64);
        Tlv.WriteUInt32(writer, MaxRecordType, (uint)settings.MaxRecord);
        Tlv.WriteUInt32(writer, InitialWindowType, (uint)settings.InitialWindow);
        Tlv.WriteUInt32(writer, MaxStreamsType, (uint)settings.MaxStreams);
        Tlv.WriteUInt32(writer, PingIntervalType, (uint)settings.PingIntervalMs);
        Tlv.Write(writer, PingMissLimitType, [(byte)settings.PingMissLimit]);
        Tlv.WriteUInt32(writer, RekeyIntervalType, (uint)settings.RekeyIntervalSeconds);
        Tlv.WriteUInt32(writer, MaxEpochAgeType, (uint)settings.MaxEpochAgeSeconds);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Checks the ranges of locally configured settings; null when valid, else the first problem.</summary>
    public static string? Validate(TunnelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Range("max_record", settings.MaxRecord, MinRecord, 65535)
            ?? Range("initial_window", settings.InitialWindow, 1, int.MaxValue)
            ?? Range("max_streams", settings.MaxStreams, 1, int.MaxValue)
            ?? Range("ping_interval_ms", settings.PingIntervalMs, 100, 60_000)
            ?? Range("ping_miss_limit", settings.PingMissLimit, 1, 255)
            ?? Range("rekey_interval_s", settings.RekeyIntervalSeconds, 1, 86_400)
            ?? Range("max_epoch_age_s", settings.MaxEpochAgeSeconds, 1, 259_200);
    }

    /// <summary>Decodes a peer's settings (null input: all defaults); false with the reason.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> input, out TunnelSettings settings, out string? error)
    {
        settings = new TunnelSettings();
        var seen = new HashSet<ushort>();
        var total = input.Length;
        while (!input.IsEmpty)
        {
            if (!Tlv.TryRead(ref input, total - input.Length, out var type, out var value, out error))
            {
                error = "settings: " + error;
                return false;
            }

            if (!seen.Add(type))
            {
                error = $"settings: TLV 0x{type:x2} appears twice";
                return false;
            }

            if (type == PingMissLimitType)
            {
                if (value.Length != 1)
                {
                    error = $"settings: ping_miss_limit is {value.Length} bytes, expected 1";
                    return false;
                }

                settings = settings with { PingMissLimit = value[0] };
                continue;
            }

            var isKnown = type is MaxRecordType or InitialWindowType or MaxStreamsType or PingIntervalType
                or RekeyIntervalType or MaxEpochAgeType;
            if (!isKnown)
            {
                if (Tlv.IsIgnorable(type))
                {
                    continue;
                }

                error = $"settings: unknown TLV 0x{type:x2} (even types must be understood)";
                return false;
            }

            if (value.Length != 4)
            {
                error = $"settings: TLV 0x{type:x2} is {value.Length} bytes, expected 4";
                return false;
            }

            var number = BinaryPrimitives.ReadUInt32BigEndian(value);
            var clamped = number > int.MaxValue ? int.MaxValue : (int)number;
            if (number > int.MaxValue)
            {
                error = $"settings: TLV 0x{type:x2} value {number} exceeds 2^31-1";
                return false;
            }

            settings = type switch
            {
                MaxRecordType => settings with { MaxRecord = clamped },
                InitialWindowType => settings with { InitialWindow = clamped },
                MaxStreamsType => settings with { MaxStreams = clamped },
                PingIntervalType => settings with { PingIntervalMs = clamped },
                RekeyIntervalType => settings with { RekeyIntervalSeconds = clamped },
                _ => settings with { MaxEpochAgeSeconds = clamped },
            };
        }

        error = Validate(settings);
        if (error is not null)
        {
            error = "settings: " + error;
            return false;
        }

        return true;
    }

    private static string? Range(string name, int value, int min, int max)
        => value < min || value > max ? $"{name} must be in {min}..{max} (got {value})" : null;
}
