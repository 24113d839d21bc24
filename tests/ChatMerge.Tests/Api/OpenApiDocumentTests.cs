using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatMerge.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Api;

public sealed class OpenApiDocumentServerFixture : ServerFixture
{
    public const string Token = "openapi-token-0123456789abcdef";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings() => [new("CHATMERGE_API_TOKEN", Token)];
}

/// <summary>A client generated from /openapi/v1.json must know every answer the server really gives.</summary>
public sealed class OpenApiDocumentTests(OpenApiDocumentServerFixture server) : IClassFixture<OpenApiDocumentServerFixture>
{
    private HttpClient Client
    {
        get
        {
            server.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", OpenApiDocumentServerFixture.Token);
            return server.Client;
        }
    }

    [Fact]
    public async Task Docs_page_loads_everything_from_this_server()
    {
        var page = await Client.GetStringAsync("/docs/");

        var sources = Regex.Matches(page, """(?:src|href)="([^"]*)"|url":"([^"]*)""").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToList();
        Assert.NotEmpty(sources);
        Assert.All(sources, source => Assert.DoesNotContain("//", source));
        foreach (var script in Regex.Matches(page, """src="([^"]*)""").Select(m => m.Groups[1].Value))
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/docs/" + script)).StatusCode);
        // Scalar's defaults fetch its fonts from its CDN and report to its servers.
        Assert.Contains("\"withDefaultFonts\":false", page);
        Assert.Contains("\"telemetry\":false", page);
    }
}
