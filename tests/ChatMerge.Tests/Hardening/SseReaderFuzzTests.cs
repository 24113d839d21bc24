using System.Net;
using System.Text;
using ChatMerge.Completions;
using ChatMerge.Providers;
using ChatMerge.Providers.Gemini;
using ChatMerge.Tests.Providers.Gemini;
using CsCheck;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// Our stream reader (the Gemini SSE client, read through the same answer accumulator the relay
/// uses) fed arbitrary wire text: it either finishes or fails with an error the relay knows how to
/// explain. An exception the error mapping does not know would reach the user as a bare type name.
/// </summary>
public sealed class SseReaderFuzzTests
{
    private static readonly string[] WireLines =
    [
        GeminiWireSamples.ThoughtEvent, GeminiWireSamples.TextEvent, GeminiWireSamples.FinishEvent, GeminiWireSamples.InternalErrorEvent,
        "data: {", "data: }", "data:", "data: ", "data: null", "data: []", "data: 123", "data: \"text\"", "data: {}",
        "data: {\"candidates\":[]}", "data: {\"candidates\":null}", "data: {\"candidates\":[null]}",
        "data: {\"candidates\":[{\"content\":null}]}", "data: {\"candidates\":[{\"content\":{\"parts\":null}}]}",
        "data: {\"candidates\":[{\"content\":{\"parts\":[null]}}]}", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":5}]}}]}",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"thoughtSignature\":\"c2ln\"}]}}]}",
        "data: {\"candidates\":[{\"finishReason\":\"SOMETHING_NEW\"}]}", "data: {\"candidates\":[{\"finishReason\":7}]}",
        "data: {\"usageMetadata\":{\"promptTokenCount\":-1,\"candidatesTokenCount\":99999999999}}",
        "data: {\"error\":{}}", "data: {\"error\":null}", "data: {\"error\":{\"code\":\"x\"}}", "data: {\"error\":{\"code\":429,\"details\":[{}]}}",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\\ud800\"}]}}]}",
        "event: error", "event:", ": keep-alive", "id: 7", "retry: -1", "", "\u0000", "data: \u001b[31m", "dat", "data",
    ];

    private static readonly Gen<string> Wire =
        Gen.Select(Gen.OneOf(Gen.OneOf(WireLines), Gen.String, Gen.String[Gen.Char["data:{}[]\",\n\r "], 0, 30]), Gen.OneOf("\n", "\r\n", "\r", "\n\n"))
            .Array[0, 12]
            .Select(parts => string.Concat(parts.Select(p => p.Item1 + p.Item2)));

    [Fact]
    public void Gemini_stream_reader_never_lets_an_unknown_exception_escape_on_arbitrary_text() =>
        Wire.Sample(text => Read(Encoding.UTF8.GetBytes(text)), iter: 1_500, threads: 1);

    [Fact]
    public void Gemini_stream_reader_never_lets_an_unknown_exception_escape_on_arbitrary_bytes() =>
        Gen.Byte.Array[0, 400].Sample(Read, iter: 1_500, threads: 1);

    [Fact]
    public void Gemini_stream_reader_survives_valid_events_cut_at_any_byte()
    {
        var whole = Encoding.UTF8.GetBytes(GeminiWireSamples.ThoughtsThenText);
        Gen.Int[0, whole.Length].Sample(cut => Read(whole[..cut]), iter: 300, threads: 1);
    }

    private static void Read(byte[] body)
    {
        var http = new HttpClient(new BytesHandler(body)) { BaseAddress = new("http://127.0.0.1:5100/") };
        var call = new ProviderCall(new GeminiChatClient(http, FakeGeminiHandler.Key, "gemini-2.5-flash"), new ChatOptions(), false);
        var answer = new Answer();
        try
        {
            ModelStream.ReadAsync(call, [new ChatMessage(ChatRole.User, "hi")], answer, new ProvidersOptions { StreamIdleTimeout = TimeSpan.FromSeconds(10) }, CancellationToken.None)
                .ToListAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            var described = ProviderErrors.Describe(ProviderNames.Gemini, e, FakeGeminiHandler.Key, "http://127.0.0.1:5100/");
            Assert.False(described.Contains("request failed ("), $"{e.GetType().Name}: {e.Message} → {described}");
            Assert.DoesNotContain(FakeGeminiHandler.Key, described);
        }
    }

    private sealed class BytesHandler(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("text/event-stream");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }
}
