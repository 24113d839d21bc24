using System.ClientModel.Primitives;
using System.Globalization;

namespace ChatMerge.Providers;

/// <summary>
/// Keeps the OpenAI and Anthropic SDKs from retrying a failed request whose provider asks for a longer wait than
/// <see cref="ProvidersSetup.MaxRetryWait"/>: someone is waiting for the first token, and the SDKs would sleep the
/// whole wait, once per retry, past the stream's first-token timeout, which then ends the answer as a stall instead
/// of a 429. It says so with <c>x-should-retry: false</c>, the header Anthropic's API itself sends and its SDK reads.
/// </summary>
internal sealed class LongRetryWaits : DelegatingHandler
{
    public const string ShouldRetry = "x-should-retry";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if ((int)response.StatusCode is 429 or >= 500 && Wait(response) > ProvidersSetup.MaxRetryWait)
        {
            response.Headers.Remove(ShouldRetry);
            response.Headers.TryAddWithoutValidation(ShouldRetry, "false");
        }
        return response;
    }

    private static TimeSpan? Wait(HttpResponseMessage response) =>
        response.Headers.TryGetValues("retry-after-ms", out var ms)
        && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds)
            ? TimeSpan.FromMilliseconds(milliseconds)
            : RetryAfter(response);

    /// <summary>The wait a response's standard <c>Retry-After</c> header asks for, in seconds or until a date.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };
}

/// <summary>The OpenAI SDK's retries, which also heed <c>x-should-retry: false</c> (see <see cref="LongRetryWaits"/>).</summary>
internal sealed class OpenAIRetryPolicy(int maxRetries) : ClientRetryPolicy(maxRetries)
{
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception) =>
        !Refused(message) && base.ShouldRetry(message, exception);

    protected override ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        Refused(message) ? ValueTask.FromResult(false) : base.ShouldRetryAsync(message, exception);

    private static bool Refused(PipelineMessage message) =>
        message.Response?.Headers.TryGetValue(LongRetryWaits.ShouldRetry, out var value) == true && value == "false";
}
