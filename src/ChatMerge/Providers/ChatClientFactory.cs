using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using Anthropic.Models.Messages;
using ChatMerge.Hosting;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace ChatMerge.Providers;

/// <summary>A chat client for one request, with the options that ask the model for its reasoning.</summary>
internal sealed record ProviderCall(IChatClient Client, ChatOptions Options, bool Reasoning) : IDisposable
{
    /// <summary>Releases the telemetry layer's ActivitySource and Meter, which are made per client.</summary>
    public void Dispose() => Client.Dispose();
}

/// <summary>
/// Builds the per-request <see cref="IChatClient"/> of a provider from the caller's key. The SDK
/// clients are cheap; the HTTP connections underneath are pooled by IHttpClientFactory.
/// Retries are the SDKs' own (before any token arrives); Gemini's are in its HttpClient pipeline.
/// </summary>
internal sealed class ChatClientFactory(IHttpClientFactory httpClients, IOptions<ProvidersOptions> options, TelemetrySettings telemetry)
{
    private ProvidersOptions Options => options.Value;

    public ProviderCall Create(string provider, string model, string apiKey, double? temperature = null, int? maxTokens = null)
    {
        var settings = Options.For(provider);
        var reasoning = settings.IsReasoningModel(model);
        var chatOptions = new ChatOptions
        {
            ModelId = model,
            MaxOutputTokens = maxTokens ?? settings.MaxOutputTokens,
            // Thinking models take no temperature (Claude requires 1, o-series reject it).
            Temperature = reasoning && provider != ProviderNames.Gemini ? null : (float?)temperature,
        };
        IChatClient client = provider switch
        {
            ProviderNames.OpenAI => OpenAIClient(apiKey, model, reasoning, chatOptions),
            ProviderNames.Anthropic => AnthropicClient(apiKey, model, reasoning, chatOptions, settings),
            ProviderNames.Gemini => new GeminiChatClient(httpClients.CreateClient(ProviderNames.Gemini), apiKey, model,
                new GeminiChatClientOptions
                {
                    IncludeThoughts = reasoning,
                    ThinkingBudget = reasoning && !model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase) ? settings.ThinkingBudget : null,
                    ThinkingLevel = reasoning && model.StartsWith("gemini-3", StringComparison.OrdinalIgnoreCase) ? "high" : null,
                }),
            _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, ProviderNames.Unknown(provider)),
        };
        // gen_ai spans and metrics; prompts and answers only when the development switch says so.
        client = client.AsBuilder().UseOpenTelemetry(sourceName: Telemetry.AiSourceName, configure: c => c.EnableSensitiveData = telemetry.CaptureMessages).Build();
        return new ProviderCall(client, chatOptions, reasoning);
    }

    private IChatClient OpenAIClient(string apiKey, string model, bool reasoning, ChatOptions chatOptions)
    {
        var client = NewOpenAIClient(apiKey, Options.MaxRetries, Options.RequestTimeout);
        if (!reasoning)
            return client.GetChatClient(model).AsIChatClient();
        // Only the Responses API streams reasoning summaries.
        chatOptions.Reasoning = new ReasoningOptions { Effort = ReasoningEffort.Medium, Output = ReasoningOutput.Summary };
#pragma warning disable OPENAI001 // The Responses API is marked for evaluation in the SDK; it is the only way to get summaries.
        return client.GetResponsesClient().AsIChatClient(model);
#pragma warning restore OPENAI001
    }

    private IChatClient AnthropicClient(string apiKey, string model, bool reasoning, ChatOptions chatOptions, ProviderSettings settings)
    {
        var client = NewAnthropicClient(apiKey, Options.MaxRetries, Options.RequestTimeout);
        var maxTokens = chatOptions.MaxOutputTokens ?? settings.MaxOutputTokens;
        if (reasoning)
        {
            // The budget comes on top of the answer's tokens: Claude requires budget < max_tokens.
            var budget = Math.Max(1024, settings.ThinkingBudget);
            chatOptions.MaxOutputTokens = maxTokens + budget;
            chatOptions.RawRepresentationFactory = _ => new MessageCreateParams
            {
                MaxTokens = maxTokens + budget,
                Messages = [],
                Model = model,
                Thinking = new ThinkingConfigParam(new ThinkingConfigEnabled(budget), null),
            };
        }
        return client.AsIChatClient(model, maxTokens, reasoning ? AnthropicThinkingMode.Extended : AnthropicThinkingMode.Adaptive);
    }

    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(30);

    private OpenAIClient NewOpenAIClient(string apiKey, int retries, TimeSpan timeout) =>
        new(new ApiKeyCredential(apiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(Options.OpenAI.BaseUrl.TrimEnd('/') + "/v1"),
            Transport = new HttpClientPipelineTransport(httpClients.CreateClient(ProviderNames.OpenAI)),
            RetryPolicy = new ClientRetryPolicy(retries),
            NetworkTimeout = timeout,
        });

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
                return models.Value.Select(m => m.Id).Order(StringComparer.Ordinal).ToList();
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
