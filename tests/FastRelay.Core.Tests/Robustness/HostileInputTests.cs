using System.Text;
using CsCheck;
using FastRelay.Configuration;
using FastRelay.Filtering;

namespace FastRelay.Core.Tests.Robustness;

/// <summary>
/// Hostile or broken input to the two loaders users feed by hand: whatever the bytes, the answer is a policy
/// or a <see cref="ConfigException"/> listing what is wrong, never another exception (no crash on a reload).
/// </summary>
public sealed class HostileInputTests
{
    private const string ValidPolicy = """
        {"IpSets": {"gw": ["203.0.113.0/24", "2001:db8::/48"]},
         "SecurityGroups": [
          {"Name": "Inbound-Proxy", "DryRun": false, "Rules": [
            {"Protocol": "TCP", "PortRange": "80,443,8000-8100", "SourceIP": "192.168.1.0/24", "Action": "Allow", "Priority": 10},
            {"Protocol": "ICMP", "SourceIP": "0.0.0.0/0", "Action": "Deny",
             "TimeWindow": {"Days": "Mon-Fri", "Start": "22:00", "End": "06:00", "TimeZone": "Asia/Shanghai"}}]},
          {"Name": "Outbound-Filter", "Rules": [
            {"Protocol": "TCP", "PortRange": "443", "DestinationIP": "gw", "Action": "Allow", "Identity": ["CN=desk-*", "SAN:URI=spiffe://corp/*"], "Service": "crm"}]}]}
        """;

    [Fact]
    public void PolicyLoader_MutatedValidPolicy_LoadsOrListsErrors()
    {
        var valid = Encoding.UTF8.GetBytes(ValidPolicy);
        Gen.Select(Gen.Int[0, valid.Length - 1].Array[1, 8], Gen.Byte.Array[8]).Sample((positions, values) =>
        {
            var bytes = (byte[])valid.Clone();
            for (var i = 0; i < positions.Length; i++)
            {
                bytes[positions[i]] = values[i];
            }

            return LoadsOrReports(bytes);
        }, iter: 3000);
    }

    [Fact]
    public void PolicyLoader_RandomBytes_LoadsOrListsErrors() =>
        Gen.Byte.Array[0, 400].Sample(LoadsOrReports, iter: 2000);

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"SecurityGroups\": null}")]
    [InlineData("{\"SecurityGroups\": [null, 1, \"x\", []]}")]
    [InlineData("{\"SecurityGroups\": [{\"Name\": {}, \"Rules\": [{\"PortRange\": \"65535-0\", \"SourceIP\": \"::/129\", \"Action\": \"Allow\"}]}]}")]
    [InlineData("{\"IpSets\": {\"a\": \"a\"}, \"SecurityGroups\": [{\"Name\": \"G\", \"Rules\": [{\"SourceIP\": \"a\", \"Action\": \"Allow\"}]}]}")]
    [InlineData("{\"SecurityGroups\": [{\"Name\": \"G\", \"Rules\": [{\"SourceIP\": \"10.0.0.0/8\", \"Action\": \"Allow\", \"TimeWindow\": {\"TimeZone\": \"Mars/Olympus\", \"Start\": \"25:00\"}}]}]}")]
    public void PolicyLoader_MalformedShapes_ListErrors(string json) =>
        Assert.Throws<ConfigException>(() => PolicyLoader.Load(json));

    [Fact]
    public void EdgeOptionsReader_RandomValues_ReadsOrListsErrors()
    {
        var names = EdgeOptionsReader.KnownNames.ToArray();
        string[] samples = ["127.0.0.1:0", "svc@[::1]:9", "a=h:1;weight=3", "0", "5s", "64KiB", "100/s", "10MiB/s", "json", "debug", "source-ip", "", "::", "a@b@c:1"];
        var name = Gen.Int[0, names.Length - 1].Select(i => names[i]);
        var sample = Gen.Int[0, samples.Length - 1].Select(i => samples[i]);
        var setting = Gen.Select(name, Gen.String[Gen.Char.AlphaNumeric, 0, 24], (n, v) => new RawSetting(n, v, "--" + n));
        var known = Gen.Select(name, sample, (n, v) => new RawSetting(n, v, "--" + n));
        Gen.OneOf(setting, known).Array[0, 12].Sample(settings =>
        {
            try
            {
                _ = EdgeOptionsReader.Read(settings);
                return true;
            }
            catch (ConfigException ex)
            {
                return ex.Errors.Count > 0;
            }
        }, iter: 3000);
    }

    private static bool LoadsOrReports(byte[] bytes)
    {
        try
        {
            _ = PolicyLoader.Load(bytes);
            return true;
        }
        catch (ConfigException ex)
        {
            return ex.Errors.Count > 0 && ex.Errors.All(e => e.ToString().Length > 0);
        }
    }
}
