using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Models.Messages;
using ChatMerge.Hosting;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Responses;

namespace ChatMerge.Providers;

/// <summary>A chat client and the options of one request, which ask the model for its reasoning.</summary>
internal sealed record ProviderCall(IChatClient Client, ChatOptions Options, bool Reasoning);

/// <summary>
/// Gives each request the <see cref="IChatClient"/> of its provider, model and key. Clients are
/// thread-safe and kept for reuse (building one per request costs the SDK's pipeline and a telemetry
/// ActivitySource and Meter each time); the HTTP connections underneath are pooled by IHttpClientFactory.
/// Retries are the SDKs' own (before any token arrives); Gemini's are in its HttpClient pipeline.
/// </summary>
internal sealed class ChatClientFactory(IHttpClientFactory httpClients, IOptions<ProvidersOptions> options, TelemetrySettings telemetry) : IDisposable
{
    private readonly record struct ClientKey(string Provider, string Model, string ApiKey, bool Reasoning);

    // Bounded: model names are the users' strings. An evicted client is disposed (its telemetry layer).
    private readonly MemoryCache _clients = new(new MemoryCacheOptions { SizeLimit = 256 });

    private ProvidersOptions Options => options.Value;

    public ProviderCall Create(string provider, string model, string apiKey, double? temperature = null, int? maxTokens = null)
    {
        var settings = Options.For(provider);
        var reasoning = settings.IsReasoningModel(model);
        var answerTokens = maxTokens ?? settings.MaxOutputTokens;
        var chatOptions = new ChatOptions
        {
            ModelId = model,
            MaxOutputTokens = answerTokens,
            // Thinking models take no temperature (Claude requires 1, o-series reject it).
            Temperature = reasoning && provider != ProviderNames.Gemini ? null : (float?)temperature,
        };
        if (reasoning)
            AskForReasoning(provider, model, answerTokens, chatOptions, settings);
        var client = _clients.GetOrCreate(new ClientKey(provider, model, apiKey, reasoning), entry =>
        {
            entry.Size = 1;
            entry.SlidingExpiration = TimeSpan.FromMinutes(30);
            entry.RegisterPostEvictionCallback(static (_, value, _, _) => (value as IDisposable)?.Dispose());
            return Build((ClientKey)entry.Key, settings);
        })!;
        return new ProviderCall(client, chatOptions, reasoning);
    }

    private IChatClient Build(ClientKey key, ProviderSettings settings)
    {
        var (provider, model, apiKey, reasoning) = key;
        IChatClient client = provider switch
        {
#pragma warning disable OPENAI001 // The Responses API is marked for evaluation in the SDK; it is the only way to get summaries.
            ProviderNames.OpenAI when reasoning => new IncompleteResponses(
                NewOpenAIClient(apiKey, Options.MaxRetries, StreamsWatchThemselves).GetResponsesClient().AsIChatClient(model)),
#pragma warning restore OPENAI001
            ProviderNames.OpenAI => NewOpenAIClient(apiKey, Options.MaxRetries, StreamsWatchThemselves).GetChatClient(model).AsIChatClient(),
            ProviderNames.Anthropic => NewAnthropicClient(apiKey, Options.MaxRetries, Options.RequestTimeout)
                .AsIChatClient(model, settings.MaxOutputTokens, reasoning ? AnthropicThinkingMode.Extended : AnthropicThinkingMode.Adaptive),
            ProviderNames.Gemini => new GeminiChatClient(httpClients.CreateClient(ProviderNames.Gemini), apiKey, model,
                new GeminiChatClientOptions
                {
                    IncludeThoughts = reasoning,
                    ThinkingBudget = reasoning && !IsGemini3(model) ? settings.ThinkingBudget : null,
                    ThinkingLevel = reasoning && IsGemini3(model) ? "high" : null,
                }),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, ProviderNames.Unknown(provider)),
        };
        // gen_ai spans when traces are taken; prompts and answers only when the development switch says so.
        return telemetry.Tracing
            ? client.AsBuilder().UseOpenTelemetry(sourceName: Telemetry.AiSourceName, configure: c => c.EnableSensitiveData = telemetry.CaptureMessages).Build()
            : client;
    }

    private static bool IsGemini3(string model) => model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase);

    private static void AskForReasoning(string provider, string model, int answerTokens, ChatOptions chatOptions, ProviderSettings settings)
    {
        // Every provider counts thinking inside the request's output limit: the budget comes on top of the
        // answer's tokens, or thinking eats them. Claude requires a budget of at least 1,024 tokens, below
        // max_tokens; Gemini 3 thinks by level, without a budget, and gets the same room.
        var budget = provider == ProviderNames.Anthropic ? Math.Max(1024, settings.ThinkingBudget) : settings.ThinkingBudget;
        var maxTokens = answerTokens + budget;
        chatOptions.MaxOutputTokens = maxTokens;
        switch (provider)
        {
            case ProviderNames.OpenAI:
                // Served by the Responses API, the only one that streams reasoning summaries. ChatOptions.Reasoning
                // would ask for "concise" summaries, which o1, o3 and o4-mini refuse; every reasoning model takes "auto".
#pragma warning disable OPENAI001 // The Responses API is marked for evaluation in the SDK.
                chatOptions.RawRepresentationFactory = _ => new CreateResponseOptions
                {
                    ReasoningOptions = new ResponseReasoningOptions
                    {
                        ReasoningEffortLevel = ResponseReasoningEffortLevel.Medium,
                        ReasoningSummaryVerbosity = ResponseReasoningSummaryVerbosity.Auto,
                    },
                };
#pragma warning restore OPENAI001
                break;
            case ProviderNames.Anthropic:
                chatOptions.RawRepresentationFactory = _ => new MessageCreateParams
                {
                    MaxTokens = maxTokens,
                    Messages = [],
                    Model = model,
                    Thinking = new ThinkingConfigParam(new ThinkingConfigEnabled(budget), null),
                };
                break;
        }
    }

    public void Dispose() => _clients.Dispose();

    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(30);

    // Streams are timed by ModelStream (RequestTimeout to the first piece, then StreamIdleTimeout). The
    // OpenAI SDK's own network timeout would re-arm a timer on every read of the stream, that is per token.
    private static readonly TimeSpan StreamsWatchThemselves = Timeout.InfiniteTimeSpan;

    private OpenAIClient NewOpenAIClient(string apiKey, int retries, TimeSpan timeout) =>
        new(new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = OpenAIEndpoint(Options.OpenAI.BaseUrl),
            Transport = new HttpClientPipelineTransport(httpClients.CreateClient(ProviderNames.OpenAI)),
            RetryPolicy = new OpenAIRetryPolicy(retries),
            NetworkTimeout = timeout,
        });

    // OpenAI's own SDKs and the servers that copy its API (Ollama, vLLM, OpenRouter) write the base URL
    // with its /v1; the API root without it works as well.
    private static Uri OpenAIEndpoint(string baseUrl)
    {
        var root = baseUrl.TrimEnd('/');
        return new Uri(root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? root : root + "/v1");
    }

    private AnthropicClient NewAnthropicClient(string apiKey, int retries, TimeSpan timeout) =>
        new(new Anthropic.Core.ClientOptions
        {
            ApiKey = apiKey,
            BaseUrl = Options.Anthropic.BaseUrl.TrimEnd('/'),
            MaxRetries = retries,
            HttpClient = httpClients.CreateClient(ProviderNames.Anthropic),
            Timeout = timeout,
        });

    /// <summary>The provider's live model list; throws the provider's exception when the key or the provider fails.</summary>
    public async Task<IReadOnlyList<string>> ListModelsAsync(string provider, string apiKey, CancellationToken cancellationToken)
    {
        switch (provider)
        {
            case ProviderNames.OpenAI:
                var models = await NewOpenAIClient(apiKey, 0, ListTimeout).GetOpenAIModelClient().GetModelsAsync(cancellationToken);
                return models.Value.Select(m => m.Id).Where(OpenAIChatModels.CanChat).Order(StringComparer.Ordinal).ToList();
            case ProviderNames.Anthropic:
                var page = await NewAnthropicClient(apiKey, 0, ListTimeout).Models.List(cancellationToken: cancellationToken);
                return page.Items.Select(m => m.ID).ToList();
            case ProviderNames.Gemini:
                return await GeminiModels.ListAsync(httpClients.CreateClient(ProviderNames.Gemini), apiKey, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, ProviderNames.Unknown(provider));
        }
    }
}
