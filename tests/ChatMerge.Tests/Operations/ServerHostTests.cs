using System.Net;
using ChatMerge.Hosting;

namespace ChatMerge.Tests.Operations;

/// <summary>SERVER_HOST is the address to listen on; Kestrel alone would take any name that is not an IP address or localhost for every interface.</summary>
public sealed class ServerHostTests
{
    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::", "[::]")]
    [InlineData("::1", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    [InlineData("localhost", "localhost")]
    [InlineData("*", "*")]
    public void Addresses_are_listened_on_as_written(string host, string expected) =>
        Assert.Equal([expected], ServerDefaults.BindAddresses(host));

    [Fact]
    public void A_host_name_is_listened_on_at_the_addresses_it_resolves_to()
    {
        var name = Dns.GetHostName();
        var expected = Dns.GetHostAddresses(name)
            .Select(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString())
            .Distinct();

        var addresses = ServerDefaults.BindAddresses(name);

        Assert.Equal(expected.Order(), addresses.Order());
        Assert.DoesNotContain("[::]", addresses);
        Assert.DoesNotContain("0.0.0.0", addresses);
    }

    [Theory]
    [InlineData("127.0.0.l")]
    [InlineData("chatmerge-no-such-host.invalid")]
    public void A_name_that_does_not_resolve_is_refused_rather_than_opening_every_interface(string host)
    {
        var refused = Assert.Throws<SettingsException>(() => ServerDefaults.BindAddresses(host));

        Assert.Contains($"SERVER_HOST must be an IP address, localhost or a host name that resolves, not '{host}'.", refused.Message);
    }
}
