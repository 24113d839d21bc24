using System.Net;
using ChatMerge.Providers.Gemini;
using static ChatMerge.Tests.Providers.Gemini.GeminiWireSamples;

namespace ChatMerge.Tests.Providers.Gemini;

public class GeminiModelsTests
{
    const string Page1 =
        """{"models":[{"name":"models/gemini-2.5-flash","displayName":"Gemini 2.5 Flash","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens"],"thinking":true},{"name":"models/text-embedding-004","displayName":"Text Embedding 004","supportedGenerationMethods":["embedText","countTextTokens"]}],"nextPageToken":"Ch5tb2RlbHMv=="}""";

    const string Page2 =
        """{"models":[{"name":"models/gemini-3-pro-preview","displayName":"Gemini 3 Pro Preview","inputTokenLimit":1048576,"outputTokenLimit":65536,"supportedGenerationMethods":["generateContent","countTokens","createCachedContent"],"thinking":true}]}""";

    [Fact]
    public async Task Models_list_follows_pages_and_keeps_only_chat_models()
    {
        var handler = new FakeGeminiHandler().Respond(HttpStatusCode.OK, Page1).Respond(HttpStatusCode.OK, Page2);

        var ids = await GeminiModels.ListAsync(handler.CreateClient(), FakeGeminiHandler.Key, CancellationToken.None);

        Assert.Equal(["gemini-2.5-flash", "gemini-3-pro-preview"], ids);
        Assert.Equal(2, handler.Requests.Count);
        Assert.All(handler.Requests, r =>
        {
            Assert.Equal(HttpMethod.Get, r.Method);
            Assert.Equal("/v1beta/models", r.Uri.AbsolutePath);
            Assert.Equal(FakeGeminiHandler.Key, r.ApiKey);
            Assert.DoesNotContain(FakeGeminiHandler.Key, r.Uri.ToString());
        });
        Assert.Contains("pageToken=Ch5tb2RlbHMv%3D%3D", handler.Requests[1].Uri.Query);
    }

    [Fact]
    public async Task Models_list_with_a_bad_key_throws_an_auth_error()
    {
        var handler = new FakeGeminiHandler().Respond(HttpStatusCode.BadRequest, ApiKeyInvalid);

        var error = await Assert.ThrowsAsync<GeminiException>(
            () => GeminiModels.ListAsync(handler.CreateClient(), FakeGeminiHandler.Key, CancellationToken.None));

        Assert.True(error.IsAuthError);
    }
}
