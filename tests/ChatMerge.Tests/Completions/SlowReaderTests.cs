using System.Runtime.CompilerServices;
using ChatMerge.Completions;
using ChatMerge.Providers;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Completions;

/// <summary>The idle timeout watches the provider: a caller slow to take the pieces is not the provider's silence.</summary>
public sealed class SlowReaderTests
{
    private static readonly ProvidersOptions Options = new() { StreamIdleTimeout = TimeSpan.FromMilliseconds(300) };

    [Fact]
    public async Task A_caller_that_takes_longer_than_the_idle_timeout_per_piece_still_gets_the_whole_answer()
    {
        var answer = new Answer();
        var call = new ProviderCall(new Prompt(TimeSpan.Zero), new ChatOptions(), false);

        // As a client that stops reading for a while: each piece takes three times the idle timeout to pass on.
        await foreach (var _ in ModelStream.ReadAsync(call, [new ChatMessage(ChatRole.User, "hi")], answer, Options, CancellationToken.None))
            await Task.Delay(Options.StreamIdleTimeout * 3);

        Assert.Equal("one two three", answer.Text.ToString());
    }

    [Fact]
    public async Task A_provider_silent_for_longer_than_the_idle_timeout_is_still_given_up()
    {
        var answer = new Answer();
        var call = new ProviderCall(new Prompt(Options.StreamIdleTimeout * 3), new ChatOptions(), false);

        await Assert.ThrowsAsync<StreamStalledException>(async () =>
        {
            await foreach (var _ in ModelStream.ReadAsync(call, [new ChatMessage(ChatRole.User, "hi")], answer, Options, CancellationToken.None))
            {
            }
        });
        Assert.Equal("one", answer.Text.ToString());
    }

    /// <summary>Three pieces, <paramref name="gap"/> apart, then the finish.</summary>
    private sealed class Prompt(TimeSpan gap) : IChatClient
    {
        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            string[] words = ["one", " two", " three"];
            for (var i = 0; i < words.Length; i++)
            {
                if (i > 0)
                    await Task.Delay(gap, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                yield return new ChatResponseUpdate(ChatRole.Assistant, words[i]);
            }
            yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop };
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
