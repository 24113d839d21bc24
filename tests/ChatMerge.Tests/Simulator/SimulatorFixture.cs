using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using ChatMerge.Simulator;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ChatMerge.Tests.Simulator;

/// <summary>One simulator on a loopback port per test class, with clients that never retry.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public const string Key = "sim-openai-key";
    public SimulatorHost Host { get; private set; } = null!;
    public HttpClient Http { get; } = new();

    public async Task InitializeAsync() => Host = await SimulatorHost.StartAsync();

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }

    public string Url(string path) => new Uri(Host.BaseUrl, path).ToString();

    public OpenAIClient OpenAi(string key = Key) => new(new ApiKeyCredential(key), new OpenAIClientOptions
    {
        Endpoint = new Uri(Host.BaseUrl, "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    public IChatClient OpenAiChat(string key = Key) => OpenAi(key).GetChatClient("gpt-4o-mini").AsIChatClient();

    public AnthropicClient Anthropic(string key = "sim-anthropic-key") =>
        new(new global::Anthropic.Core.ClientOptions { ApiKey = key, BaseUrl = Host.BaseUrl.ToString().TrimEnd('/'), MaxRetries = 0 });

    public IChatClient AnthropicChat(string key = "sim-anthropic-key") =>
        Anthropic(key).AsIChatClient("claude-sonnet-4-5", 4096, AnthropicThinkingMode.Extended);

    /// <summary>Collects a stream into its text, reasoning and usage; rethrows what the SDK throws.</summary>
    public static async Task<Collected> Collect(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var result = new Collected();
        await foreach (var u in updates)
        {
            result.Updates.Add(u);
            foreach (var c in u.Contents)
            {
                switch (c)
                {
                    case TextContent t: result.Text += t.Text; break;
                    case TextReasoningContent r:
                        result.Reasoning += r.Text;
                        if (r.ProtectedData is { Length: > 0 } p) result.ProtectedData.Add(p);
                        break;
                    case UsageContent usage: result.Usage = usage.Details; break;
                    case ErrorContent e: result.Errors.Add(e); break;
                }
            }
            if (u.FinishReason is { } f) result.FinishReason = f;
        }
        return result;
    }

    public sealed class Collected
    {
        public List<ChatResponseUpdate> Updates { get; } = [];
        public string Text { get; set; } = "";
        public string Reasoning { get; set; } = "";
        public List<string> ProtectedData { get; } = [];
        public List<ErrorContent> Errors { get; } = [];
        public UsageDetails? Usage { get; set; }
        public ChatFinishReason? FinishReason { get; set; }
    }
}
