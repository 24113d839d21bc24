using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChatMerge.Providers;
using ChatMerge.Providers.Gemini;
using Microsoft.Extensions.AI;

namespace ChatMerge.Completions;

/// <summary>A piece of a model's answer as it arrives.</summary>
internal readonly record struct AnswerPiece(bool IsReasoning, string Text);

/// <summary>
/// A thinking block to hand back to the provider that wrote it (Claude signatures, Gemini thought signatures).
/// <paramref name="Redacted"/> marks Claude's redacted thinking, whose encrypted data is in <paramref name="Signature"/>;
/// <paramref name="OnText"/> a Gemini signature that came on a part of the answer's text, and goes back on it.
/// Each is stored only when true, and rows stored before it existed read as false.
/// </summary>
internal sealed record ReasoningBlock(
    string Text, string Signature,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Redacted = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool OnText = false)
{
    /// <summary>
    /// How the Anthropic SDK marks redacted thinking in <see cref="AIContent.AdditionalProperties"/>, both ways: it sets
    /// the key on what it reads and sends a marked block back as <c>redacted_thinking</c> (its RedactedThinkingMarker, internal there).
    /// </summary>
    public const string AnthropicRedactedKey = "anthropic:redacted_thinking";
}

/// <summary>
/// Everything a model has said so far. Filled while streaming, so that what arrived
/// before a fault or a disconnect can still be stored.
/// </summary>
internal sealed class Answer
{
    private readonly StringBuilder _pendingThinking = new();

    public StringBuilder Text { get; } = new();
    public StringBuilder Reasoning { get; } = new();
    public List<ReasoningBlock> Blocks { get; } = [];
    public UsageDetails? Usage { get; private set; }
    public ChatFinishReason? FinishReason { get; private set; }

    /// <summary>What the provider said of why it stopped beyond <see cref="FinishReason"/> (Gemini's own reason).</summary>
    public AdditionalPropertiesDictionary? FinishDetails { get; private set; }
    public bool IsEmpty => Text.Length == 0 && Reasoning.Length == 0;

    public string? ReasoningData => Blocks.Count == 0 ? null : JsonSerializer.Serialize(Blocks);

    /// <summary>
    /// A model may emit U+0000, which PostgreSQL cannot store in text: it is dropped, from what is relayed as
    /// well as from what is kept, so that the live answer and the stored one are the same on every database.
    /// </summary>
    private static string Storable(string text) => text.Contains('\0') ? text.Replace("\0", "") : text;

    public void Add(ChatResponseUpdate update, List<AnswerPiece> pieces)
    {
        if (update.FinishReason is { } finish)
        {
            FinishReason = finish;
            FinishDetails = update.AdditionalProperties ?? FinishDetails;
        }
        foreach (var content in update.Contents)
        {
            switch (content)
            {
                case TextReasoningContent reasoning:
                    if (reasoning.Text.Length > 0)
                    {
                        // The thinking handed back to the provider stays as it was written: its signature covers it.
                        _pendingThinking.Append(reasoning.Text);
                        if (Storable(reasoning.Text) is { Length: > 0 } thought)
                        {
                            Reasoning.Append(thought);
                            pieces.Add(new AnswerPiece(true, thought));
                        }
                    }
                    // The signature closes a thinking block; redacted thinking is its encrypted data alone.
                    if (!string.IsNullOrEmpty(reasoning.ProtectedData))
                    {
                        var redacted = reasoning.AdditionalProperties?.ContainsKey(ReasoningBlock.AnthropicRedactedKey) == true;
                        Blocks.Add(new ReasoningBlock(_pendingThinking.ToString(), reasoning.ProtectedData, redacted));
                        _pendingThinking.Clear();
                    }
                    break;
                case TextContent text when text.Text.Length > 0:
                    if (Storable(text.Text) is { Length: > 0 } written)
                    {
                        Text.Append(written);
                        pieces.Add(new AnswerPiece(false, written));
                    }
                    // Gemini 3 may sign a part of the text itself.
                    if (text.AdditionalProperties?.TryGetValue(GeminiRequestMapper.ThoughtSignatureKey, out var signature) == true
                        && signature?.ToString() is { Length: > 0 } signed)
                        Blocks.Add(new ReasoningBlock("", signed, OnText: true));
                    break;
                case UsageContent usage:
                    Usage = usage.Details;
                    break;
                case ErrorContent error:
                    // The Responses API reports a mid-stream error as content, not as an exception.
                    throw new IncompleteStreamException(error.Message);
            }
        }
    }
}

internal static class ModelStream
{
    /// <summary>
    /// Streams the model's answer into <paramref name="answer"/>, yielding each piece as it arrives.
    /// Throws <see cref="StreamStalledException"/> when the provider does not start answering within
    /// <see cref="ProvidersOptions.RequestTimeout"/> or then sends nothing for <see cref="ProvidersOptions.StreamIdleTimeout"/>
    /// (time the caller takes with a piece, writing it to its client, does not count),
    /// and <see cref="IncompleteStreamException"/> when the stream ends without a finish reason.
    /// </summary>
    public static async IAsyncEnumerable<AnswerPiece> ReadAsync(
        ProviderCall call, IList<ChatMessage> messages, Answer answer, ProvidersOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var first = options.RequestTimeout < options.StreamIdleTimeout ? options.RequestTimeout : options.StreamIdleTimeout;
        using var idle = new IdleWatch(first, options.StreamIdleTimeout, cancellationToken);
        var stream = call.Client.GetStreamingResponseAsync(messages, call.Options, idle.Token);
        await using var updates = stream.GetAsyncEnumerator(idle.Token);
        var pieces = new List<AnswerPiece>(4);
        while (true)
        {
            bool more;
            try
            {
                more = await updates.MoveNextAsync();
            }
            catch (OperationCanceledException) when (idle.Expired && !cancellationToken.IsCancellationRequested)
            {
                throw new StreamStalledException(idle.Limit);
            }
            if (!more)
                break;
            pieces.Clear();
            answer.Add(updates.Current, pieces);
            idle.Pause();
            foreach (var piece in pieces)
                yield return piece;
            idle.Touch();
        }
        // OpenAI's chat stream ends quietly after a mid-stream error: no finish reason means no finished answer.
        if (answer.FinishReason is null)
            throw new IncompleteStreamException("the stream ended before the model finished");
    }
}
