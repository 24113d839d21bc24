using System.Net;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace ChatMerge.Providers;

internal static class ProvidersSetup
{
    public static WebApplicationBuilder AddProviders(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ProvidersOptions>()
            .BindConfiguration(ProvidersOptions.Section)
            .Configure<IConfiguration>((options, configuration) =>
            {
                // The short environment variables win over appsettings.
                options.OpenAI.BaseUrl = configuration["OPENAI_BASE_URL"] is { Length: > 0 } o ? o : options.OpenAI.BaseUrl;
                options.Anthropic.BaseUrl = configuration["ANTHROPIC_BASE_URL"] is { Length: > 0 } a ? a : options.Anthropic.BaseUrl;
                options.Gemini.BaseUrl = configuration["GEMINI_BASE_URL"] is { Length: > 0 } g ? g : options.Gemini.BaseUrl;
            })
            .Validate(o => ProviderNames.All.All(p => Uri.TryCreate(o.For(p).BaseUrl, UriKind.Absolute, out _)),
                "Providers: every BaseUrl (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, GEMINI_BASE_URL) must be an absolute URL.")
            .ValidateOnStart();

        foreach (var provider in ProviderNames.All)
        {
            var client = services.AddHttpClient(provider, (sp, http) =>
                {
                    // Streams can run for many minutes; the stream's own idle timeout ends a stalled one.
                    http.Timeout = Timeout.InfiniteTimeSpan;
                    if (provider == ProviderNames.Gemini)
                        http.BaseAddress = new Uri(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProvidersOptions>>().Value.Gemini.BaseUrl.TrimEnd('/') + "/");
                })
                .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
                {
                    ConnectTimeout = TimeSpan.FromSeconds(15),
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                    AutomaticDecompression = DecompressionMethods.All,
                    MaxConnectionsPerServer = int.MaxValue,
                });
            // OpenAI's and Anthropic's SDKs retry by themselves; Gemini is our client, so it retries here.
            if (provider != ProviderNames.Gemini)
                client.AddHttpMessageHandler(() => new LongRetryWaits());
            else
                client.AddResilienceHandler("gemini-retry", (pipeline, context) =>
                {
                    var retries = context.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProvidersOptions>>().Value.MaxRetries;
                    if (retries > 0)
                        pipeline.AddRetry(new HttpRetryStrategyOptions
                        {
                            MaxRetryAttempts = retries,
                            BackoffType = DelayBackoffType.Exponential,
                            UseJitter = true,
                            Delay = TimeSpan.FromMilliseconds(500),
                            DelayGenerator = args => GeminiRetryDelayAsync(args.Outcome.Result, args.Context.CancellationToken),
                        });
                });
        }

        services.AddSingleton<ChatClientFactory>();
        return builder;
    }

    /// <summary>The longest wait between two attempts at a request: someone is waiting for its first token.</summary>
    internal static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The wait a failed Gemini response asks for, at most <see cref="MaxRetryWait"/>: its Retry-After header,
    /// or the RetryInfo in its body, where Gemini's 429s carry it. Null leaves the exponential back-off.
    /// </summary>
    internal static async ValueTask<TimeSpan?> GeminiRetryDelayAsync(HttpResponseMessage? response, CancellationToken ct) =>
        response is not null && await GeminiException.RetryAfterAsync(response, ct) is { } wait
            ? (wait < MaxRetryWait ? wait : MaxRetryWait)
            : null;
}
