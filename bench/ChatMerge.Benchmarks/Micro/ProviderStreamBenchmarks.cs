using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.ServerSentEvents;
using BenchmarkDotNet.Attributes;
using ChatMerge.Benchmarks.Load;
using ChatMerge.Completions;
using ChatMerge.Providers;
using ChatMerge.Simulator;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ChatMerge.Benchmarks.Micro;

/// <summary>
/// Reading a provider's answer, the part of relaying a token that is code rather than sockets: the
/// simulator's own 50-token OpenAI stream, recorded once, read from memory the way the server reads it
/// (the OpenAI SDK, Microsoft.Extensions.AI, <see cref="ModelStream"/>) and the way the load driver's
/// reference relay does (the framework's SSE parser and one JSON parse per chunk).
/// </summary>
[Config(typeof(MicroConfig))]
public class ProviderStreamBenchmarks
{
    private const int Tokens = 50;

    private HttpClient _http = null!;
    private ProviderCall _call = null!;
    private readonly List<ChatMessage> _history = [new(ChatRole.User, "How fast is the relay?")];
    private readonly ProvidersOptions _options = new();

    [GlobalSetup]
    public async Task Setup()
    {
        byte[] body;
        await using (var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { RecordRequests = false }))
        using (var http = new HttpClient())
        using (var request = StreamClient.DirectRequest(simulator.BaseUrl, $"How fast is the relay? [[sim:tokens={Tokens}]]"))
        using (var response = await http.SendAsync(request))
            body = await response.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();

        _http = new HttpClient(new Recorded(body));
        var client = new OpenAIClient(new ApiKeyCredential(StreamClient.SimulatorKey), new OpenAIClientOptions
        {
            Endpoint = new Uri("http://127.0.0.1:1/v1"),
            Transport = new HttpClientPipelineTransport(_http),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        }).GetChatClient(StreamClient.Model).AsIChatClient();
        _call = new ProviderCall(client, new ChatOptions { ModelId = StreamClient.Model, MaxOutputTokens = 8192 }, Reasoning: false);
        if (await ServerRead() != Tokens || await ReferenceRead() != Tokens)
            throw new InvalidOperationException($"The recorded stream does not hold {Tokens} pieces of text.");
    }

    [Benchmark(Description = "Read a 50-token OpenAI stream (SDK, Microsoft.Extensions.AI, ModelStream)")]
    public async Task<int> ServerRead()
    {
        var pieces = 0;
        await foreach (var _ in ModelStream.ReadAsync(_call, _history, new Answer(), _options, default))
            pieces++;
        return pieces;
    }

    [Benchmark(Baseline = true, Description = "Read the same stream as the reference relay (SseParser, JsonDocument)")]
    public async Task<int> ReferenceRead()
    {
        var pieces = 0;
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:1/v1/chat/completions");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var item in SseParser.Create(body).EnumerateAsync())
        {
            if (item.Data == "[DONE]")
                break;
            if (ReferenceRelay.DeltaText(item.Data) is { Length: > 0 })
                pieces++;
        }
        return pieces;
    }

    /// <summary>Answers every request with the recorded stream, from memory: no socket in the measurement.</summary>
    private sealed class Recorded(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(new MemoryStream(body, writable: false)) };
            response.Content.Headers.ContentType = new("text/event-stream");
            return Task.FromResult(response);
        }
    }
}
