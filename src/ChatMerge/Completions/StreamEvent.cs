using System.ComponentModel.DataAnnotations;
using System.Net.ServerSentEvents;
using System.Text.Json.Serialization;

namespace ChatMerge.Completions;

/// <summary>
/// One event of a completion or merge stream, written as <c>data: {"type": ..., "data": ...}</c>:
/// the shape the original web client reads.
/// </summary>
public sealed record StreamEvent(
    // Never validated (it is only written): the attribute lists the types in the API document.
    [property: AllowedValues(StreamEvent.Content, StreamEvent.Reasoning, StreamEvent.Progress, StreamEvent.Error, StreamEvent.Done, StreamEvent.MergeComplete)] string Type,
    string Data)
{
    /// <summary>
    /// On <c>done</c> only, when the stored answer is marked incomplete although nothing failed (cut off
    /// at max_tokens, stopped by a content filter): why, in one sentence. Absent otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Notice { get; init; }

    public const string Content = "content";
    public const string Reasoning = "reasoning";
    public const string Error = "error";
    public const string Done = "done";
    public const string Progress = "progress";
    public const string MergeComplete = "merge_complete";

    public SseItem<StreamEvent> ToSse() => new(this, Type);

    public static SseItem<StreamEvent> Of(string type, string data) => new StreamEvent(type, data).ToSse();
}
