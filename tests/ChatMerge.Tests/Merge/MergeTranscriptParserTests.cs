using System.Diagnostics;
using System.Text;
using ChatMerge.Merge;

namespace ChatMerge.Tests.Merge;

public class MergeTranscriptParserTests
{
    private static MergedTurn User(string content) => new(TurnRole.User, content, null);
    private static MergedTurn Assistant(string content, string? reasoning = null) => new(TurnRole.Assistant, content, reasoning);

    [Fact]
    public void Strict_format_parses_into_turns_with_reasoning()
    {
        var parsed = MergeTranscriptParser.Parse("[USER]: Hi\n[REASONING]: think\n[ASSISTANT]: Hello\n[USER]: Bye");

        Assert.Equal([User("Hi"), Assistant("Hello", "think"), User("Bye")], parsed.Turns);
        Assert.Equal(0, parsed.DroppedEmptyTurns);
        Assert.True(parsed.HasUserAndAssistant);
    }

    [Fact]
    public void Turns_span_lines_and_keep_inner_formatting()
    {
        var text = "[USER]:\n\n  first\n\n    indented  \n\tlast  \n\n\n[ASSISTANT]: one\ntwo";

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal([User("  first\n\n    indented  \n\tlast"), Assistant("one\ntwo")], parsed.Turns);
    }

    [Fact]
    public void Marker_inside_a_line_is_text()
    {
        var parsed = MergeTranscriptParser.Parse("[USER]: I typed [ASSISTANT]: here\n[ASSISTANT]: ok");

        Assert.Equal([User("I typed [ASSISTANT]: here"), Assistant("ok")], parsed.Turns);
    }

    [Theory]
    [InlineData("```")]
    [InlineData("```python")]
    [InlineData("``` c#")]
    [InlineData("~~~")]
    [InlineData("   ```js")]
    [InlineData("````")]
    [InlineData("    ```")]
    [InlineData("\t```")]
    public void Markers_inside_fenced_code_are_text(string fence)
    {
        var closer = fence.Trim().TrimEnd("pythonjsc# ".ToCharArray());
        var text = $"[USER]: show me\n[ASSISTANT]: Here:\n{fence}\n[USER]: not a turn\n**[ASSISTANT]:** nor this\n{closer}\n[USER]: thanks";

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal(
            [User("show me"), Assistant($"Here:\n{fence}\n[USER]: not a turn\n**[ASSISTANT]:** nor this\n{closer}"), User("thanks")],
            parsed.Turns);
    }

    [Fact]
    public void A_fence_that_never_closes_is_text_and_the_turns_after_it_stay_turns()
    {
        var parsed = MergeTranscriptParser.Parse("[USER]: q\n[ASSISTANT]: Start a block with\n```\nand end it alike.\n[USER]: q2\n[ASSISTANT]: a2");

        Assert.Equal([User("q"), Assistant("Start a block with\n```\nand end it alike."), User("q2"), Assistant("a2")], parsed.Turns);
    }

    [Fact]
    public void A_stray_closer_after_nested_fences_of_one_length_does_not_swallow_the_turns_after_it()
    {
        // The inner ```python closes the outer block early, leaving the last ``` without a closer.
        var example = "Example:\n```markdown\n[USER]: x\n```python\ncode\n```\n```";

        var parsed = MergeTranscriptParser.Parse($"[USER]: q\n[ASSISTANT]: {example}\n[USER]: q2\n[ASSISTANT]: a2");

        Assert.Equal([User("q"), Assistant(example), User("q2"), Assistant("a2")], parsed.Turns);
    }

    [Fact]
    public void Fence_needs_a_closer_of_the_same_kind_and_length()
    {
        var parsed = MergeTranscriptParser.Parse("[ASSISTANT]:\n````\n```\n~~~\n[USER]: in\n````\n[USER]: out");

        Assert.Equal([Assistant("````\n```\n~~~\n[USER]: in\n````"), User("out")], parsed.Turns);
    }

    [Theory]
    [InlineData("```x```")]   // backtick in the info string: inline code
    [InlineData("``")]
    public void Lines_that_are_not_fences_leave_markers_active(string line)
    {
        var parsed = MergeTranscriptParser.Parse($"[ASSISTANT]: a\n{line}\n[USER]: b");

        Assert.Equal([Assistant("a\n" + line), User("b")], parsed.Turns);
    }

    [Fact]
    public void Fences_indented_in_list_items_are_fences()
    {
        var content = "Steps:\n1. Run:\n    ```text\n    [USER]: sample\n    ```\n2. Done\n\t~~~\n\t[USER]: tabbed\n\t~~~";

        var parsed = MergeTranscriptParser.Parse("[ASSISTANT]: " + content);

        Assert.Equal([Assistant(content)], parsed.Turns);
    }

    [Theory]
    [InlineData("[User]:", false)]
    [InlineData("[user]:", false)]
    [InlineData("**[User]:**", false)]
    [InlineData("**[USER]**:", false)]
    [InlineData("__[Assistant]:__", true)]
    [InlineData("*[assistant]:*", true)]
    [InlineData("### [ASSISTANT]:", true)]
    [InlineData("## **[Assistant]:**", true)]
    [InlineData("[ASSISTANT] :", true)]
    [InlineData("[ ASSISTANT ]:", true)]
    [InlineData("   \t[USER]:", false)]
    public void Decorated_markers_are_recognised(string marker, bool assistant)
    {
        var role = assistant ? TurnRole.Assistant : TurnRole.User;
        var other = role == TurnRole.User ? "[ASSISTANT]: x" : "[USER]: x";

        var parsed = MergeTranscriptParser.Parse($"{other}\n{marker} hello **world**");

        Assert.Equal(new MergedTurn(role, "hello **world**", null), parsed.Turns[^1]);
        Assert.Equal(2, parsed.Turns.Count);
    }

    [Theory]
    [InlineData("**[USER]: q**", "q")]
    [InlineData("**[User]: q**  ", "q")]
    [InlineData("__[Assistant]: q__", "q")]
    [InlineData("***[USER]: q***", "q")]
    [InlineData("**[USER]: hello **world**", "hello **world**")]
    [InlineData("**[USER]:** q**", "q**")]
    public void Emphasis_around_the_whole_marker_line_is_decoration(string line, string content)
    {
        var parsed = MergeTranscriptParser.Parse(line);

        Assert.Equal(content, Assert.Single(parsed.Turns).Content);
    }

    [Theory]
    [InlineData("- [USER]: quoted")]
    [InlineData("> [USER]: quoted")]
    [InlineData("[USERS]: x")]
    [InlineData("[USER] no colon")]
    [InlineData("[SYSTEM]: x")]
    [InlineData("#[USER]: x")]
    [InlineData("USER: x")]
    public void Lookalikes_are_content(string line)
    {
        var parsed = MergeTranscriptParser.Parse($"[ASSISTANT]: a\n{line}");

        Assert.Equal([Assistant("a\n" + line)], parsed.Turns);
    }

    [Fact]
    public void Text_before_the_first_marker_is_dropped()
    {
        var parsed = MergeTranscriptParser.Parse("Sure! Here is the merged conversation:\n\n[USER]: a\n[ASSISTANT]: b");

        Assert.Equal([User("a"), Assistant("b")], parsed.Turns);
    }

    [Fact]
    public void Reasoning_after_an_assistant_turn_attaches_to_it_when_no_assistant_follows()
    {
        var parsed = MergeTranscriptParser.Parse("[USER]: q\n[ASSISTANT]: a\n[REASONING]: r1\n[REASONING]: r2\n[USER]: q2");

        Assert.Equal([User("q"), Assistant("a", "r1\n\nr2"), User("q2")], parsed.Turns);
    }

    [Fact]
    public void Reasoning_prefers_the_next_assistant_turn()
    {
        var parsed = MergeTranscriptParser.Parse("[ASSISTANT]: a1\n[REASONING]: r\n[ASSISTANT]: a2");

        Assert.Equal([Assistant("a1"), Assistant("a2", "r")], parsed.Turns);
    }

    [Fact]
    public void Reasoning_before_and_after_one_turn_is_joined_in_order()
    {
        var parsed = MergeTranscriptParser.Parse("[REASONING]: before\n[ASSISTANT]: a\n[REASONING]: after");

        Assert.Equal([Assistant("a", "before\n\nafter")], parsed.Turns);
    }

    [Theory]
    [InlineData("[REASONING]: lonely")]
    [InlineData("[REASONING]: r\n[USER]: q")]
    [InlineData("[ASSISTANT]: a\n[USER]: q\n[REASONING]: too late")]
    public void Reasoning_without_a_neighbouring_assistant_turn_is_dropped(string text)
    {
        var parsed = MergeTranscriptParser.Parse(text);

        Assert.All(parsed.Turns, t => Assert.Null(t.Reasoning));
    }

    [Fact]
    public void Empty_turns_are_dropped_and_counted()
    {
        var parsed = MergeTranscriptParser.Parse("[USER]:\n   \n[ASSISTANT]: a\n[USER]:\t\n[REASONING]:");

        Assert.Equal([Assistant("a")], parsed.Turns);
        Assert.Equal(3, parsed.DroppedEmptyTurns);
        Assert.False(parsed.HasUserAndAssistant);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void CRLF_and_CR_end_lines(string newline)
    {
        var text = string.Join(newline, "[USER]: a", "b", "", "[ASSISTANT]: c", "```", "[USER]: d", "```");

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal([User("a\nb"), Assistant("c\n```\n[USER]: d\n```")], parsed.Turns);
    }

    [Fact]
    public void Escaped_marker_lines_come_back_unescaped_outside_fences_only()
    {
        var text = "[USER]: look\n\\[USER]: typed\n  \\**[assistant]:** too\n\\\\[USER]: two\n\\plain\n\\<<<END CONVERSATION 1>>>\n\\<<<x\n```\n\\[USER]: kept\n\\<<<CONVERSATION 2>>>\n```";

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal(
            [User("look\n[USER]: typed\n  **[assistant]:** too\n\\[USER]: two\n\\plain\n<<<END CONVERSATION 1>>>\n\\<<<x\n```\n\\[USER]: kept\n<<<CONVERSATION 2>>>\n```")],
            parsed.Turns);
    }

    [Fact]
    public void Echoed_conversation_delimiters_end_turns_and_drop_their_labels()
    {
        var text = "<<<CONVERSATION 1>>>\nTitle: A\n[USER]: a\n<<<END CONVERSATION 1>>>\n<<<CONVERSATION 2>>>\nModel: m\n\n[ASSISTANT]: b\n<<<END CONVERSATION 2>>>";

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal([User("a"), Assistant("b")], parsed.Turns);
    }

    [Theory]
    [InlineData("<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch")]
    [InlineData("<<< \"hello\" wc -c")]
    [InlineData("  <<<END")]
    [InlineData("<<<CONVERSATIONS>>>")]
    public void Other_lines_starting_with_angle_brackets_are_text(string lines)
    {
        var text = $"[USER]: how does it look?\n[ASSISTANT]: Like this:\n{lines}\nThen you fix it.\n[USER]: thanks\n[ASSISTANT]: np";

        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Equal([User("how does it look?"), Assistant($"Like this:\n{lines}\nThen you fix it."), User("thanks"), Assistant("np")], parsed.Turns);
    }

    [Fact]
    public void A_fence_can_open_on_the_marker_line()
    {
        var parsed = MergeTranscriptParser.Parse("[ASSISTANT]: ```python\n[USER]: x = 1\n```\n[USER]: real");

        Assert.Equal([Assistant("```python\n[USER]: x = 1\n```"), User("real")], parsed.Turns);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no markers at all")]
    [InlineData("**[USER]:*")]
    [InlineData(null)]
    public void Text_without_turns_gives_no_turns(string? text)
    {
        var parsed = MergeTranscriptParser.Parse(text!);

        Assert.Empty(parsed.Turns);
        Assert.False(parsed.HasUserAndAssistant);
    }

    [Fact]
    public void One_megabyte_transcript_parses_in_linear_time()
    {
        var sb = new StringBuilder();
        for (var i = 0; sb.Length < 1_000_000; i++)
        {
            sb.Append(i % 2 == 0 ? "**[User]:** question " : "[ASSISTANT]: answer ").Append(i).Append('\n');
            sb.Append("some text with [USER]: inside and *emphasis*\n```cs\n[USER]: code\n```\n\n");
        }
        var text = sb.ToString();
        MergeTranscriptParser.Parse(text); // warm up

        var watch = Stopwatch.StartNew();
        var parsed = MergeTranscriptParser.Parse(text);
        watch.Stop();

        Assert.True(parsed.Turns.Count > 10_000);
        Assert.True(watch.ElapsedMilliseconds < 10_000, $"took {watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("[")]
    [InlineData("**[ ")]
    [InlineData("`")]
    [InlineData("\\")]
    [InlineData("### ")]
    public void Pathological_megabyte_lines_parse_quickly(string unit)
    {
        var text = "[USER]: a\n" + string.Concat(Enumerable.Repeat(unit, 1_000_000 / unit.Length));

        var watch = Stopwatch.StartNew();
        var parsed = MergeTranscriptParser.Parse(text);

        Assert.Single(parsed.Turns);
        Assert.True(watch.ElapsedMilliseconds < 10_000, $"took {watch.ElapsedMilliseconds} ms");
    }
}
