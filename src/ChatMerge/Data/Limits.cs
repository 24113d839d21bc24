namespace ChatMerge.Data;

/// <summary>Sizes shared by validation and the schema, so the two cannot drift apart.</summary>
internal static class Limits
{
    public const int TitleLength = 500;
    public const int ModelLength = 200;
    public const int SystemPromptLength = 100_000;
    public const int MessageLength = 1_000_000;
    public const int ApiKeyLength = 1_000;

    /// <summary>
    /// Characters (messages and their reasoning) of all the chats one merge reads. A merge holds its sources
    /// in memory, and a concatenated chat can be merged again: without a bound each merge could double what
    /// the next one reads.
    /// </summary>
    public const long MergeCharacters = 20_000_000;
}
