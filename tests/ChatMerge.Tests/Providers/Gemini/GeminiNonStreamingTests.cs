using System.Net;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;
using static ChatMerge.Tests.Providers.Gemini.GeminiWireSamples;

namespace ChatMerge.Tests.Providers.Gemini;

public class GeminiNonStreamingTests
{
    [Fact]
    public async Task GetResponse_maps_text_reasoning_usage_and_finish_reason()
    {
        var handler = new FakeGeminiHandler().Respond(HttpStatusCode.OK, GenerateContentResponse);
        var client = new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");

        var response = await client.GetResponseAsync([new(ChatRole.User, "2+2?")]);

        Assert.Equal("http://127.0.0.1:5100/v1beta/models/gemini-2.5-flash:generateContent", handler.Requests.Single().Uri.ToString());
        Assert.Equal("The answer is 4.", response.Text);
        Assert.Equal("**Considering**...", response.Messages.Single().Contents.OfType<TextReasoningContent>().Single().Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("abc", response.ResponseId);
        Assert.Equal("gemini-2.5-flash", response.ModelId);
        Assert.Equal(135, response.Usage?.TotalTokenCount);
        Assert.Equal(120, response.Usage?.ReasoningTokenCount);
    }

    [Fact]
    public async Task Model_in_chat_options_overrides_the_default_model()
    {
        var handler = new FakeGeminiHandler().Respond(HttpStatusCode.OK, GenerateContentResponse);
        var client = new GeminiChatClient(handler.CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");

        await client.GetResponseAsync([new(ChatRole.User, "hi")], new ChatOptions { ModelId = "models/gemini-2.5-pro" });

        Assert.Equal("/v1beta/models/gemini-2.5-pro:generateContent", handler.Requests.Single().Uri.AbsolutePath);
    }

    [Fact]
    public void GetService_describes_the_provider()
    {
        using var client = new GeminiChatClient(new FakeGeminiHandler().CreateClient(), FakeGeminiHandler.Key, "gemini-2.5-flash");

        var metadata = client.GetService<ChatClientMetadata>();

        Assert.Equal("gemini", metadata?.ProviderName);
        Assert.Equal(new Uri("http://127.0.0.1:5100/"), metadata?.ProviderUri);
        Assert.Equal("gemini-2.5-flash", metadata?.DefaultModelId);
        Assert.Same(client, client.GetService<GeminiChatClient>());
        Assert.Null(client.GetService<ChatClientMetadata>("keyed"));
    }
}
