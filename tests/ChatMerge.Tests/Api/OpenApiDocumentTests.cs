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

    private async Task<JsonElement> DocumentAsync() => await HttpAssert.JsonAsync(await Client.GetAsync("/openapi/v1.json"));

    private static JsonElement Operation(JsonElement document, string method, string path) =>
        document.GetProperty("paths").TryGetProperty(path, out var item) && item.TryGetProperty(method.ToLowerInvariant(), out var operation)
            ? operation
            : throw new Xunit.Sdk.XunitException($"The document has no {method} {path}.");

    private static void AssertDocumented(JsonElement document, string method, string path, HttpStatusCode status)
    {
        var responses = Operation(document, method, path).GetProperty("responses");
        Assert.True(responses.TryGetProperty(((int)status).ToString(), out var response),
            $"{method} {path} answers {(int)status}, which the document does not list ({string.Join(", ", responses.EnumerateObject().Select(r => r.Name))}).");
        if ((int)status >= 400)
            Assert.True(response.GetProperty("content").TryGetProperty("application/problem+json", out _), $"{method} {path} {(int)status} is a problem.");
    }

    [Fact]
    public async Task Every_mapped_endpoint_is_in_the_document()
    {
        var document = await DocumentAsync();
        var endpoints = server.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Path: "/" + e.RoutePattern.RawText!.Trim('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]))
            .Where(e => !e.Path.StartsWith("/openapi") && !e.Path.StartsWith("/docs") && !e.Path.StartsWith("/metrics"))
            .ToList();

        Assert.Contains(endpoints, e => e.Path == "/health/ready");
        foreach (var (path, methods) in endpoints)
            foreach (var method in methods)
                _ = Operation(document, method, path);
    }

    [Fact]
    public async Task Every_status_the_server_answers_is_in_the_document()
    {
        var document = await DocumentAsync();
        var chat = (await server.CreateChatAsync()).GetProperty("id").GetString();
        var unknown = Guid.NewGuid();
        HttpContent Json(string json) => new StringContent(json, Encoding.UTF8, "application/json");
        var cases = new (string Method, string Path, string Url, HttpContent? Body, HttpStatusCode Status)[]
        {
            ("POST", "/api/chats", "/api/chats", Json("""{"provider": "openai", "model": "gpt-4o"}"""), HttpStatusCode.Created),
            ("POST", "/api/chats", "/api/chats", Json("""{"provider": "nope", "model": "gpt-4o"}"""), HttpStatusCode.BadRequest),
            ("POST", "/api/chats", "/api/chats", new StringContent("title", Encoding.UTF8, "text/plain"), HttpStatusCode.UnsupportedMediaType),
            ("POST", "/api/chats", "/api/chats", Json($$"""{"provider": "openai", "model": "gpt-4o", "title": "{{new string('x', 2_000_000)}}"}"""), HttpStatusCode.RequestEntityTooLarge),
            ("GET", "/api/chats", "/api/chats?limit=0", null, HttpStatusCode.BadRequest),
            ("GET", "/api/chats/{id}", $"/api/chats/{unknown}", null, HttpStatusCode.NotFound),
            ("GET", "/api/chats/{id}", "/api/chats/not-a-uuid", null, HttpStatusCode.BadRequest),
            ("GET", "/api/chats/{id}/export", $"/api/chats/{chat}/export?format=pdf", null, HttpStatusCode.BadRequest),
            ("DELETE", "/api/api-keys/{id}", $"/api/api-keys/{unknown}", null, HttpStatusCode.NotFound),
            ("POST", "/api/chats/{id}/completions", $"/api/chats/{unknown}/completions", Json("""{"content": "hi"}"""), HttpStatusCode.NotFound),
            ("POST", "/api/merge", "/api/merge", Json($$"""{"chat_ids": ["{{chat}}"], "merge_provider": "openai", "merge_model": "gpt-4o"}"""), HttpStatusCode.BadRequest),
            ("POST", "/api/merge", "/api/merge", Json($$"""{"chat_ids": ["{{chat}}", "{{unknown}}"], "merge_provider": "openai", "merge_model": "gpt-4o"}"""), HttpStatusCode.NotFound),
            ("GET", "/api/merges", "/api/merges?offset=-1", null, HttpStatusCode.BadRequest),
            ("GET", "/health/ready", "/health/ready", null, HttpStatusCode.OK),
        };
        foreach (var (method, path, url, body, status) in cases)
        {
            var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = body });
            Assert.True(status == response.StatusCode, $"{method} {url}: expected {(int)status}, got {(int)response.StatusCode}.");
            AssertDocumented(document, method, path, status);
        }

        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/chats")).StatusCode);
        foreach (var item in document.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/api")))
            foreach (var operation in item.Value.EnumerateObject())
            {
                foreach (var status in new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable })
                    AssertDocumented(document, operation.Name.ToUpperInvariant(), item.Name, status);
                Assert.Contains(operation.Value.GetProperty("security").EnumerateArray(), s => s.TryGetProperty("bearer", out _));
            }
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task A_problem_as_sent_fits_the_documented_schema()
    {
        var document = await DocumentAsync();
        var schema = document.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");
        var problem = await HttpAssert.JsonAsync(await Client.GetAsync($"/api/chats/{Guid.NewGuid()}"), HttpStatusCode.NotFound);

        var properties = schema.GetProperty("properties");
        var closed = schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False;
        foreach (var member in problem.EnumerateObject())
            Assert.True(!closed || properties.TryGetProperty(member.Name, out _), $"The problem carries '{member.Name}', which its schema forbids.");
        Assert.Contains("detail", schema.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("string", properties.GetProperty("detail").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Streams_and_request_fields_are_described_as_sent()
    {
        var document = await DocumentAsync();
        var schemas = document.GetProperty("components").GetProperty("schemas");
        foreach (var path in new[] { "/api/merge", "/api/chats/{id}/completions" })
        {
            var stream = Operation(document, "POST", path).GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("text/event-stream");
            Assert.Equal("#/components/schemas/StreamEvent", stream.GetProperty("schema").GetProperty("$ref").GetString());
            Assert.Equal("content", stream.GetProperty("example").GetProperty("type").GetString());
            Assert.Contains("data: {", Operation(document, "POST", path).GetProperty("responses").GetProperty("200").GetProperty("description").GetString());
        }
        Assert.Equal(["content", "reasoning", "progress", "error", "done", "merge_complete"],
            schemas.GetProperty("StreamEvent").GetProperty("properties").GetProperty("type").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));

        var merge = schemas.GetProperty("MergeRequest").GetProperty("properties");
        Assert.Equal("string", merge.GetProperty("chat_ids").GetProperty("items").GetProperty("type").GetString());
        Assert.Equal(2, merge.GetProperty("chat_ids").GetProperty("minItems").GetInt32());
        foreach (var list in new[] { "/api/chats", "/api/merges" })
        {
            var limit = Operation(document, "GET", list).GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "limit").GetProperty("schema");
            Assert.Equal((1, 10_000), (limit.GetProperty("minimum").GetInt32(), limit.GetProperty("maximum").GetInt32()));
        }
        Assert.Equal(500, merge.GetProperty("title").GetProperty("maxLength").GetInt32());
        Assert.Equal(500, schemas.GetProperty("CreateChatRequest").GetProperty("properties").GetProperty("title").GetProperty("maxLength").GetInt32());

        var format = Operation(document, "GET", "/api/chats/{id}/export").GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "format");
        Assert.Equal(["markdown", "json"], format.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
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
