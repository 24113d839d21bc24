using System.Text;
using ChatMerge.Merge;
using CsCheck;

namespace ChatMerge.Tests.Merge;

public class MergePlannerTests
{
    // Characters as "tokens": exact and additive, so the tests can reason about sizes.
    private static readonly Func<string, int> Chars = s => s.Length;

    private static SourceConversation Conversation(string title, int messages, int size) =>
        new(title, "openai", "gpt-4o",
            Enumerable.Range(0, messages)
                .Select(i => new SourceMessage(i % 2 == 0 ? "user" : "assistant", $"{title} message {i} " + new string('x', size), null))
                .ToList());

    private static int Size(IReadOnlyList<SourceConversation> group) => MergeTranscript.RenderSources(group).Length;

    [Fact]
    public void Sources_that_fit_stay_one_group_unchanged()
    {
        SourceConversation[] sources = [Conversation("A", 4, 10), Conversation("B", 4, 10)];

        var plan = MergePlanner.Plan(sources, 10_000, Chars);

        var group = Assert.Single(plan);
        Assert.Same(sources[0], group[0]);
        Assert.Same(sources[1], group[1]);
    }

    [Fact]
    public void Two_big_conversations_go_to_separate_groups()
    {
        SourceConversation[] sources = [Conversation("A", 4, 300), Conversation("B", 4, 300)];
        var budget = Size([sources[0]]) + 100;

        var plan = MergePlanner.Plan(sources, budget, Chars);

        Assert.Equal(2, plan.Count);
        Assert.Same(sources[0], Assert.Single(plan[0]));
        Assert.Same(sources[1], Assert.Single(plan[1]));
    }

    [Fact]
    public void Small_conversations_are_packed_greedily_in_order()
    {
        var sources = Enumerable.Range(0, 6).Select(i => Conversation($"C{i}", 2, 100)).ToList();
        var budget = Size(sources.Take(2).ToList()) + 10;

        var plan = MergePlanner.Plan(sources, budget, Chars);

        Assert.Equal(3, plan.Count);
        Assert.Equal(sources, plan.SelectMany(g => g));
        Assert.All(plan, g => Assert.True(Size(g) <= budget));
    }

    [Fact]
    public void A_huge_conversation_is_split_into_ordered_parts_at_message_boundaries()
    {
        var huge = Conversation("Huge", 40, 200) with
        {
            Messages = [new SourceMessage("system", "Be brief.", null), .. Conversation("Huge", 40, 200).Messages],
        };
        const int budget = 1_500;

        var plan = MergePlanner.Plan([huge], budget, Chars);

        Assert.True(plan.Count > 1);
        var parts = plan.SelectMany(g => g).ToList();
        Assert.All(plan, g => Assert.True(Size(g) <= budget, $"group of {Size(g)}"));
        for (var k = 0; k < parts.Count; k++)
        {
            Assert.Equal($"Huge (part {k + 1} of {parts.Count})", parts[k].Title);
            Assert.Equal("system", parts[k].Messages[0].Role);
        }
        Assert.Equal(huge.Messages.Skip(1), parts.SelectMany(p => p.Messages.Skip(1)));
    }

    [Fact]
    public void Source_notes_of_a_concatenated_chat_stay_in_their_part_and_only_the_system_prompt_is_repeated()
    {
        // What a concatenate merge stores: a system note wherever the source changes, here before every message.
        var messages = new List<SourceMessage> { new("system", "Be brief.", null) };
        for (var i = 0; i < 60; i++)
        {
            messages.Add(new SourceMessage("system", $"From \"{(i % 2 == 0 ? "Alpha" : "Beta")}\" (openai, gpt-4o):", null));
            messages.Add(new SourceMessage(i % 4 < 2 ? "user" : "assistant", $"message {i} " + new string('x', 20), null));
        }
        var concatenated = new SourceConversation("Merged: Alpha + Beta", "openai", "gpt-4o", messages);
        const int budget = 1_000; // the 60 notes alone need about 2,000

        var plan = MergePlanner.Plan([concatenated], budget, Chars);

        Assert.All(plan, g => Assert.True(Size(g) <= budget, $"group of {Size(g)}"));
        var parts = plan.SelectMany(g => g).ToList();
        Assert.All(parts, p => Assert.Equal("Be brief.", p.Messages[0].Content));
        Assert.Equal(messages.Skip(1), parts.SelectMany(p => p.Messages.Skip(1)));
    }

    [Fact]
    public void A_source_note_between_two_messages_kept_as_written_forms_no_part_of_its_own()
    {
        var huge = "Paragraph: " + new string('p', 2_000);
        var conversation = new SourceConversation("Merged: Alpha + Beta", "openai", "gpt-4o", [
            new SourceMessage("system", "Be brief.", null),
            new SourceMessage("system", "From \"Alpha\" (openai, gpt-4o):", null),
            new SourceMessage("user", huge, null),
            new SourceMessage("system", "From \"Beta\" (openai, gpt-4o):", null),
            new SourceMessage("user", huge + "!", null),
            new SourceMessage("assistant", "short", null),
        ]);

        var plan = MergePlanner.Plan([conversation, Conversation("Small", 2, 10)], 700, Chars);

        // A part holding nothing but system messages would ask the merge model to merge no turns at all.
        Assert.All(plan.SelectMany(g => g), p => Assert.Contains(p.Messages, m => m.Role != "system"));
        Assert.Equal(conversation.Messages.Where(m => m.Role != "system").Append(Conversation("Small", 2, 10).Messages[0]).Select(m => m.Content),
            plan.SelectMany(g => g).SelectMany(p => p.Messages).Where(m => m.Role != "system").Select(m => m.Content).Take(4));
    }

    [Fact]
    public void A_message_too_large_for_a_part_stands_alone_as_written_between_the_parts_around_it()
    {
        var paragraphs = string.Join("\n\n", Enumerable.Range(0, 60).Select(i => $"Paragraph {i}: " + new string('p', 80)));
        var huge = new SourceMessage("assistant", "short", paragraphs);
        var conversation = new SourceConversation("Big", "anthropic", "claude", [
            new SourceMessage("system", "Be brief.", null),
            new SourceMessage("user", "first", null),
            huge,
            new SourceMessage("user", "last", null),
        ]);
        const int budget = 700;

        var plan = MergePlanner.Plan([conversation, Conversation("Small", 2, 10)], budget, Chars);

        Assert.Equal(3, plan.Count);
        Assert.Equal(["first"], plan[0].Single().Messages.Where(m => m.Role == "user").Select(m => m.Content));
        var kept = Assert.Single(plan[1]);
        Assert.True(kept.AsWritten);
        Assert.Same(huge, Assert.Single(kept.Messages));
        Assert.Equal("Big (part 2 of 3)", kept.Title);
        Assert.Equal(["Big (part 3 of 3)", "Small"], plan[2].Select(c => c.Title));
        Assert.All(plan.Where(g => !g[0].AsWritten), g => Assert.True(Size(g) <= budget, $"group of {Size(g)}"));
    }

    [Fact]
    public void A_message_kept_as_written_is_carried_alone_through_later_rounds()
    {
        var kept = new SourceConversation("Kept", "openai", "m", [new SourceMessage("user", new string('k', 5_000), null)]) { AsWritten = true };
        SourceConversation[] items = [Conversation("A", 2, 10), kept, Conversation("B", 2, 10)];

        var plan = MergePlanner.Plan(items, 1_000, Chars);

        Assert.Equal(3, plan.Count);
        Assert.Same(kept, Assert.Single(plan[1]));
    }

    [Theory]
    [InlineData(3_000, 8_192)]
    [InlineData(16_385, 4_096)]
    [InlineData(128_000, 8_192)]
    [InlineData(1_048_576, 65_536)]
    public void A_part_is_no_larger_than_the_answer_that_restates_it_and_both_fit_the_window(int window, int maxOutput)
    {
        const int reserved = 500;

        var (answer, part) = MergeSynthesis.Budgets(window, maxOutput, reserved);

        Assert.True(answer <= maxOutput);
        Assert.InRange(part, answer * 3 / 4, answer);
        Assert.True(reserved + part + answer <= window);
    }

    [Fact]
    public void Split_parts_parse_back_to_the_original_turns()
    {
        var conversation = Conversation("Round", 30, 150);
        var plan = MergePlanner.Plan([conversation], 1_000, Chars);

        var turns = plan.SelectMany(g => g)
            .SelectMany(p => MergeTranscriptParser.Parse(MergeTranscript.RenderSources([p])).Turns)
            .Select(t => t.Content).ToList();

        Assert.Equal(conversation.Messages.Select(m => m.Content).ToList(), turns);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)]
    public void A_budget_too_small_for_the_labels_is_rejected(int budget)
    {
        var ex = Assert.Throws<ArgumentException>(() => MergePlanner.Plan([Conversation("A", 2, 10), Conversation("B", 2, 10)], budget, Chars));

        Assert.Contains("budget", ex.Message);
    }

    [Fact]
    public void Real_token_counts_keep_every_group_within_budget()
    {
        var counter = TokenCounter.Shared;
        int Count(string s) => counter.Count("anthropic", s);
        var text = new StringBuilder();
        for (var i = 0; i < 400; i++) text.Append("Line ").Append(i).Append(": some words about merging, ünïcödé 日本 and `code`.\n");
        SourceConversation[] sources =
        [
            new("One", "openai", "gpt-4o", [new("user", text.ToString(), null), new("assistant", "ok", "hmm")]),
            Conversation("Two", 200, 120),
        ];
        const int budget = 2_000;

        var plan = MergePlanner.Plan(sources, budget, Count);

        Assert.True(plan.Count > 2);
        Assert.All(plan.Where(g => !g[0].AsWritten), g => Assert.True(Count(MergeTranscript.RenderSources(g)) <= budget));
        Assert.Equal(text.ToString(), Assert.Single(plan.SelectMany(g => g), p => p.AsWritten).Messages.Single().Content);
    }

    [Fact]
    public void Any_plan_fits_and_preserves_every_message_in_order()
    {
        var message = Gen.Select(Gen.Bool, Gen.String[Gen.Char["ab \n[]`:"], 0, 400],
            (user, text) => new SourceMessage(user ? "user" : "assistant", text, null));
        var conversation = Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 10], message.List[0, 10],
            (title, messages) => new SourceConversation(title, "openai", "m", messages));

        Gen.Select(conversation.List[1, 4], Gen.Int[150, 2_000]).Sample((sources, budget) =>
        {
            var plan = MergePlanner.Plan(sources, budget, Chars);

            Assert.All(plan, g => Assert.True(g is [{ AsWritten: true }] || Size(g) <= budget));
            var contents = plan.SelectMany(g => g).SelectMany(p => p.Messages).Select(m => m.Content);
            Assert.Equal(sources.SelectMany(c => c.Messages).Select(m => m.Content), contents);
        }, iter: 300);
    }
}
