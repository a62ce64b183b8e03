using FastRelay.Hosting;

namespace FastRelay.IntegrationTests.Process;

public sealed class FileDescriptorLimitTests
{
    [Theory]
    [InlineData(1024UL, 100, 398)]     // (1024 - 100 - 64 - 64) / 2: 64 spare, 64 for the splice pipes
    [InlineData(1_048_576UL, 90, 524_179)]
    [InlineData(160UL, 150, 1)]        // Never below one connection.
    public void MaxConnections_LeavesHeadroom_TwoDescriptorsPerConnection(ulong limit, int openNow, int expected) =>
        Assert.Equal(expected, FileDescriptorLimit.MaxConnections(limit, openNow));

    [Fact]
    public void Raise_OnLinux_ReturnsTheSoftLimitNowInForce()
    {
        Assert.True(OperatingSystem.IsLinux());
        var limit = FileDescriptorLimit.Raise();
        Assert.NotNull(limit);
        Assert.True(limit >= 64);
        Assert.True(FileDescriptorLimit.OpenNow() > 0);
    }
}
