using System.Diagnostics;
using ChatMerge.Merge;

namespace ChatMerge.Tests.Merge;

public class TokenCounterTests
{
    private static readonly TokenCounter Counter = TokenCounter.Shared;

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public void Empty_text_counts_zero(string provider)
    {
        Assert.Equal(0, Counter.Count(provider, ""));
        Assert.Equal(0, Counter.Count(provider, null));
    }

    [Fact]
    public void OpenAI_counts_are_exact_o200k_counts()
    {
        Assert.Equal(4, Counter.Count("openai", "Hello, world!"));
        Assert.Equal(1, Counter.Count("openai", " the"));
        // Plausibility: English prose runs at roughly four characters per token.
        var prose = "The quick brown fox jumps over the lazy dog while the merge model reads every conversation.";
        Assert.InRange(Counter.Count("openai", prose), prose.Length / 8, prose.Length / 3);
    }

    [Theory]
    [InlineData("Hello, world!")]
    [InlineData("A much longer piece of text, with punctuation; numbers 12345 and code: `var x = 1;`")]
    [InlineData("日本語のテキストと絵文字 😀")]
    public void Anthropic_and_Gemini_counts_are_scaled_up_and_rounded_up(string text)
    {
        var exact = Counter.Count("openai", text);

        Assert.Equal((int)Math.Ceiling(exact * 1.25m), Counter.Count("anthropic", text));
        Assert.Equal((int)Math.Ceiling(exact * 1.15m), Counter.Count("gemini", text));
        Assert.True(Counter.Count("anthropic", text) > exact);
    }

    [Fact]
    public void Provider_names_ignore_case_and_unknown_ones_get_the_widest_margin()
    {
        const string text = "Twenty tokens or so of ordinary English text to count with each provider name here.";

        Assert.Equal(Counter.Count("openai", text), Counter.Count("OpenAI", text));
        Assert.Equal(Counter.Count("gemini", text), Counter.Count("Google", text));
        Assert.Equal(Counter.Count("anthropic", text), Counter.Count("somebody-new", text));
    }

    [Fact]
    public void A_message_costs_its_overhead_plus_content_and_reasoning()
    {
        Assert.Equal(
            TokenCounter.MessageOverhead + Counter.Count("openai", "answer") + Counter.Count("openai", "thinking"),
            Counter.CountMessage("openai", "answer", "thinking"));
        Assert.Equal(TokenCounter.MessageOverhead, Counter.CountMessage("gemini", ""));
    }

    [Fact]
    public void A_megabyte_counts_quickly_and_plausibly()
    {
        var text = string.Concat(Enumerable.Repeat("Merging conversations keeps every insight and drops repetition. ", 16_000));

        var watch = Stopwatch.StartNew();
        var count = Counter.Count("openai", text);
        watch.Stop();

        Assert.InRange(count, text.Length / 8, text.Length / 3);
        Assert.True(watch.ElapsedMilliseconds < 20_000, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Concurrent_counts_agree()
    {
        var texts = Enumerable.Range(0, 200).Select(i => $"message {i}: " + new string('x', i) + " ok").ToArray();
        var expected = texts.Select(t => Counter.Count("openai", t)).ToArray();

        var actual = new int[texts.Length];
        Parallel.For(0, texts.Length, i => actual[i] = Counter.Count("openai", texts[i]));

        Assert.Equal(expected, actual);
        Assert.Same(TokenCounter.Shared, Counter);
    }
}
