namespace ChatMerge.Providers;

/// <summary>
/// OpenAI lists every model of the account: embeddings, speech, images, moderation and realtime models
/// as well as chat models. Only those that can hold a text chat are offered. A compatible server's own
/// models (llama3.1, mistral-7b-instruct) pass; its embedding models do not.
/// </summary>
internal static class OpenAIChatModels
{
    private static readonly string[] NotChat =
        ["embed", "whisper", "tts", "transcribe", "dall-e", "image", "moderation", "realtime", "audio", "davinci", "babbage", "sora", "computer-use"];

    public static bool CanChat(string id) =>
        !NotChat.Any(marker => id.Contains(marker, StringComparison.OrdinalIgnoreCase))
        // gpt-3.5-turbo-instruct answers only the legacy completions endpoint.
        && !(id.StartsWith("gpt-", StringComparison.OrdinalIgnoreCase) && id.Contains("-instruct", StringComparison.OrdinalIgnoreCase));
}
