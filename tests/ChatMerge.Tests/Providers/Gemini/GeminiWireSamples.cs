namespace ChatMerge.Tests.Providers.Gemini;

/// <summary>Wire text as Gemini sends it (shared/PROVIDERS.md), LF-separated; Crlf() gives the other flavour.</summary>
internal static class GeminiWireSamples
{
    public const string ThoughtEvent =
        """data: {"candidates":[{"content":{"parts":[{"text":"**Considering**...","thought":true}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-flash","responseId":"abc"}""";

    public const string TextEvent =
        """data: {"candidates":[{"content":{"parts":[{"text":"The answer is 4."}],"role":"model"},"index":0}],"modelVersion":"gemini-2.5-flash","responseId":"abc"}""";

    public const string FinishEvent =
        """data: {"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":120,"totalTokenCount":135},"modelVersion":"gemini-2.5-flash","responseId":"abc"}""";

    public static readonly string ThoughtsThenText = Sse(ThoughtEvent, TextEvent, FinishEvent);

    // Gemini 3 signs parts; in a stream the last signature may ride on an empty text part.
    public static readonly string SignedGemini3 = Sse(
        """data: {"candidates":[{"content":{"parts":[{"text":"Adding two and two","thought":true}],"role":"model"},"index":0}],"modelVersion":"gemini-3-pro-preview","responseId":"r3"}""",
        """data: {"candidates":[{"content":{"parts":[{"text":"Four.","thoughtSignature":"CiIBVKhc7oXsig1"}],"role":"model"},"index":0}],"modelVersion":"gemini-3-pro-preview","responseId":"r3"}""",
        """data: {"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"EkAKPgGsig2"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":2,"thoughtsTokenCount":40,"totalTokenCount":50},"modelVersion":"gemini-3-pro-preview","responseId":"r3"}""");

    public const string InternalErrorEvent =
        """data: {"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}""";

    public const string GenerateContentResponse =
        """{"candidates":[{"content":{"parts":[{"text":"**Considering**...","thought":true},{"text":"The answer is 4."}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":120,"totalTokenCount":135},"modelVersion":"gemini-2.5-flash","responseId":"abc"}""";

    public const string ApiKeyInvalid =
        """{"error":{"code":400,"message":"API key not valid. Please pass a valid API key. (key: AIzaSyTEST-secret-key-123)","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}},{"@type":"type.googleapis.com/google.rpc.LocalizedMessage","locale":"en-US","message":"API key not valid. Please pass a valid API key."}]}}""";

    public const string QuotaExceeded =
        """{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier","quotaDimensions":{"model":"gemini-2.5-flash","location":"global"},"quotaValue":"10"}]},{"@type":"type.googleapis.com/google.rpc.Help","links":[{"description":"Learn more about Gemini API quotas","url":"https://ai.google.dev/gemini-api/docs/rate-limits"}]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"15s"}]}}""";

    public const string Unavailable =
        """{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}""";

    public static string Sse(params string[] events) => string.Concat(events.Select(e => e + "\n\n"));

    public static string Crlf(string lf) => lf.Replace("\n", "\r\n");
}
