using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatMerge.Providers.Gemini;

/// <summary>
/// IChatClient over Gemini's native REST API, the only Gemini surface that returns thought
/// summaries. <paramref name="http"/>'s BaseAddress is the provider root, e.g. https://generativelanguage.googleapis.com/.
/// </summary>
internal sealed class GeminiChatClient(HttpClient http, string apiKey, string modelId, GeminiChatClientOptions? options = null)
    : IChatClient
{
    readonly GeminiChatClientOptions _options = options ?? new();

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null, CancellationToken cancellationToken = default)
    {
        var model = ModelFor(chatOptions);
        using var response = await SendAsync(model, "generateContent", messages, chatOptions, cancellationToken);
        var body = await GeminiHttp.ReadJsonAsync(response, GeminiJsonContext.Default.GeminiResponse, cancellationToken);
        if (body.Error is { } error)
            throw GeminiException.FromError(error, (int)response.StatusCode, null, apiKey);

        var message = new ChatMessage(ChatRole.Assistant, GeminiResponseMapper.ToContents(body)) { MessageId = body.ResponseId };
        return new ChatResponse(message)
        {
            ResponseId = body.ResponseId,
            ModelId = body.ModelVersion ?? model,
            FinishReason = GeminiResponseMapper.ToFinishReason(body),
            AdditionalProperties = GeminiResponseMapper.ToFinishDetails(body),
            Usage = GeminiResponseMapper.ToUsage(body.UsageMetadata),
            RawRepresentation = body,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? chatOptions = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var model = ModelFor(chatOptions);
        using var response = await SendAsync(model, "streamGenerateContent?alt=sse", messages, chatOptions, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);

        string? responseId = null, modelVersion = null;
        ChatFinishReason? finish = null;
        UsageDetails? usage = null;
        // SseParser splits on LF, CR and CRLF alike and reads incrementally as bytes arrive.
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(cancellationToken))
        {
            if (string.IsNullOrWhiteSpace(item.Data))
                continue;
            var chunk = GeminiHttp.ParseJson(item.Data, GeminiJsonContext.Default.GeminiResponse);
            if (chunk.Error is { } error)
                throw GeminiException.FromError(error, null, null, apiKey);

            responseId = chunk.ResponseId ?? responseId;
            modelVersion = chunk.ModelVersion ?? modelVersion;
            // usageMetadata is cumulative: the last one is the whole call.
            usage = GeminiResponseMapper.ToUsage(chunk.UsageMetadata) ?? usage;
            var reason = GeminiResponseMapper.ToFinishReason(chunk);
            finish = reason ?? finish;
            var contents = GeminiResponseMapper.ToContents(chunk);
            if (contents.Count > 0 || reason is not null)
                yield return Update(contents, reason, chunk);
        }

        // Gemini has no end-of-stream marker; a body that ends without a finish reason was cut off.
        if (finish is null)
            throw new GeminiException("Gemini's stream ended before the model finished.");
        if (usage is not null)
            yield return Update([new UsageContent(usage)], null, null);

        ChatResponseUpdate Update(List<AIContent> contents, ChatFinishReason? reason, GeminiResponse? raw) =>
            new(ChatRole.Assistant, contents)
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelVersion ?? model,
                FinishReason = reason,
                AdditionalProperties = reason is null || raw is null ? null : GeminiResponseMapper.ToFinishDetails(raw),
                RawRepresentation = raw,
            };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("gemini", http.BaseAddress, modelId)
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    // The HttpClient belongs to IHttpClientFactory, not to us.
    public void Dispose() { }

    string ModelFor(ChatOptions? chatOptions)
    {
        var model = chatOptions?.ModelId ?? modelId;
        return model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model;
    }

    async Task<HttpResponseMessage> SendAsync(
        string model, string method, IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken ct)
    {
        var body = GeminiRequestMapper.ToRequest(model, messages, chatOptions, _options);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"v1beta/models/{Uri.EscapeDataString(model)}:{method}")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, GeminiJsonContext.Default.GeminiRequest))
            {
                Headers = { ContentType = new("application/json") },
            },
        };
        return await GeminiHttp.SendAsync(http, request, apiKey, ct);
    }
}
