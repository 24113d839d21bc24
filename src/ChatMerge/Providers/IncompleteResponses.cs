using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI.Responses;

namespace ChatMerge.Providers;

#pragma warning disable OPENAI001 // The Responses API is marked for evaluation in the SDK.

/// <summary>
/// Gives a Responses API answer that ends with <c>response.incomplete</c> its finish reason. Microsoft.Extensions.AI
/// sets one only on <c>response.completed</c>, so an answer cut off at max_output_tokens or by the content filter
/// would look like a broken stream instead.
/// </summary>
internal sealed class IncompleteResponses(IChatClient inner) : DelegatingChatClient(inner)
{
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            if (update.RawRepresentation is StreamingResponseIncompleteUpdate incomplete)
                update.FinishReason ??= incomplete.Response.IncompleteStatusDetails?.Reason == ResponseIncompleteStatusReason.MaxOutputTokens
                    ? ChatFinishReason.Length
                    : ChatFinishReason.ContentFilter;
            yield return update;
        }
    }
}
