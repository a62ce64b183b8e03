using FastRelay.Configuration;

namespace FastRelay.Core.Tests.Configuration;

public sealed class SecretMaskTests
{
    [Theory]
    [InlineData("postgres:Host=db;Password=SECRET123;Bogus=1", "postgres:Host=db;Password=***;Bogus=1")]
    [InlineData("postgres:Password=SECRET123", "postgres:Password=***")]
    [InlineData("postgress:Host=db; pwd = SECRET123", "postgress:Host=db; pwd =***")]
    [InlineData("Host=db;PSW=SECRET123;Database=a", "Host=db;PSW=***;Database=a")]
    [InlineData("sqlite:/var/lib/fastrelay/audit.db", "sqlite:/var/lib/fastrelay/audit.db")]
    [InlineData("Host=db;Passwords=kept", "Host=db;Passwords=kept")]
    [InlineData("Host=db;Password=\"ab;cd\";Database=a", "Host=db;Password=***;Database=a")]
    [InlineData("Host=db;SSL Password=k3y;Username=relay", "Host=db;SSL Password=***;Username=relay")]
    [InlineData("postgres://relay:S3cret@db:5432/audit", "postgres://relay:***@db:5432/audit")]
    [InlineData("postgres://relay@db/audit", "postgres://relay@db/audit")]
    public void Mask_HidesOnlyThePasswordsValue(string given, string shown) =>
        Assert.Equal(shown, SecretMask.Mask(given));

    [Fact]
    public void ConfigError_NeverEchoesAPassword()
    {
        var line = new ConfigError("--audit", "postgres:Host=db;Password=SECRET123;Bogus=1", "not a valid Npgsql connection string").ToString();
        Assert.DoesNotContain("SECRET123", line, StringComparison.Ordinal);
        Assert.Equal("--audit 'postgres:Host=db;Password=***;Bogus=1': not a valid Npgsql connection string", line);
    }
}
