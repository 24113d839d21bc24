namespace ChatMerge.Hosting;

/// <summary>
/// Shortens text by its UTF-16 length without splitting a surrogate pair: half an emoji is no
/// character, and is written as U+FFFD.
/// </summary>
internal static class TextClip
{
    /// <summary>At most <paramref name="length"/> units of <paramref name="text"/>, one fewer where the cut would split a pair.</summary>
    public static string Prefix(string text, int length) =>
        text.Length <= length ? text : text[..(length > 0 && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length)];
}
