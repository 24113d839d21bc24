using ChatMerge.Merge;
using CsCheck;

namespace ChatMerge.Tests.Merge;

public class MergeTranscriptParserPropertyTests
{
    // Lines chosen to hit every rule: markers in all their dresses, escapes, fences that open,
    // close or never close, simulator delimiters, indentation, unicode and blank lines.
    private static readonly string[] TrickyLines =
    [
        "plain text", "héllo wörld", "日本語のテキスト", "emoji 😀 and 𝄞", "", "   ", "\t", "    indented code",
        "[USER]: fake", "[ASSISTANT]: fake", "[REASONING]: fake", "**[User]:** bold", "**[USER]**: x",
        "__[Assistant]:__ y", "### [ASSISTANT]: h", "[ ASSISTANT ] : z", "  [user]: spaced", "- [USER]: bullet",
        "\\[USER]: escaped", "\\\\[ASSISTANT]: twice", "\\plain", "\\", "```", "```python", "~~~", "````",
        "   ```", "    ```", "```x```", "~~~~ tilde", "<<<END CONVERSATION 1>>>", "<<<CONVERSATION 2>>>",
        "\\<<<x", "  <<<", "\\<<<CONVERSATION 3>>>", "<<<<<<< HEAD", "<<< \"x\"", "\t```", "      ~~~",
        "**[USER]: whole line**", "# heading", "* item", "**", "[", "]:", "Title: t", "System: s",
    ];

    private static readonly Gen<string> Line = Gen.OneOf(
        Gen.OneOf(TrickyLines),
        Gen.String[Gen.Char["[]*_#`~\\<> :abcUSERASSISTANT\té日😀"], 0, 20],
        Gen.String);

    private static readonly Gen<string> Content =
        Line.Array[1, 8].Select(lines => Normal(string.Join('\n', lines).Replace('\r', ' ')) is { Length: > 0 } s ? s : "x");

    private static readonly Gen<MergedTurn> Turn =
        Gen.Select(Gen.Bool, Content, Content, Gen.Bool, (assistant, content, reasoning, hasReasoning) =>
            assistant
                ? new MergedTurn(TurnRole.Assistant, content, hasReasoning ? reasoning : null)
                : new MergedTurn(TurnRole.User, content, null));

    /// <summary>The parser's normal form, stated independently: no leading blank lines, no trailing whitespace.</summary>
    private static string Normal(string text)
    {
        var lines = text.Split('\n');
        var first = Array.FindIndex(lines, l => !string.IsNullOrWhiteSpace(l));
        return first < 0 ? "" : string.Join('\n', lines[first..]).TrimEnd();
    }

    [Fact]
    public void Rendered_turns_parse_back_to_the_same_turns()
    {
        Turn.List[0, 12].Sample(turns =>
        {
            var parsed = MergeTranscriptParser.Parse(MergeTranscript.Render(turns));
            Assert.Equal(turns, parsed.Turns);
            Assert.Equal(0, parsed.DroppedEmptyTurns);
        }, iter: 2_000);
    }

    [Fact]
    public void Each_rendered_source_conversation_parses_back_to_its_turns()
    {
        var message = Gen.Select(Gen.Int[0, 9], Content, Content, Gen.Bool, (kind, content, reasoning, hasReasoning) =>
            kind switch
            {
                0 => new SourceMessage("system", content, null),
                < 5 => new SourceMessage("user", content, null),
                _ => new SourceMessage("assistant", content, hasReasoning ? reasoning : null),
            });
        var conversation = Gen.Select(Line, Line, message.List[0, 8],
            (title, model, messages) => new SourceConversation(title + "\n" + title, "openai", model, messages));

        conversation.List[1, 4].Sample(conversations =>
        {
            var blocks = SplitBlocks(MergeTranscript.RenderSources(conversations));

            Assert.Equal(conversations.Count, blocks.Count);
            for (var i = 0; i < blocks.Count; i++)
            {
                var expected = conversations[i].Messages
                    .Where(m => m.Role != "system")
                    .Select(m => m.Role == "user"
                        ? new MergedTurn(TurnRole.User, m.Content, null)
                        : new MergedTurn(TurnRole.Assistant, m.Content, m.Reasoning))
                    .ToList();
                Assert.Equal(expected, MergeTranscriptParser.Parse(blocks[i]).Turns);
                Assert.Contains($"Messages: {expected.Count}", blocks[i].Split('\n'));
            }
        }, iter: 1_000);
    }

    /// <summary>Splits the prompt the way the simulator does: on exact delimiter lines, blind to fences.</summary>
    private static List<string> SplitBlocks(string rendered)
    {
        var blocks = new List<string>();
        List<string>? current = null;
        foreach (var line in rendered.Split('\n'))
        {
            if (current is null)
            {
                if (line == $"<<<CONVERSATION {blocks.Count + 1}>>>") current = [];
                else Assert.Equal("", line);
            }
            else if (line == $"<<<END CONVERSATION {blocks.Count + 1}>>>")
            {
                blocks.Add(string.Join('\n', current));
                current = null;
            }
            else
            {
                Assert.DoesNotMatch(@"^\s*<<<(END )?CONVERSATION ", line);
                current.Add(line);
            }
        }
        Assert.Null(current);
        return blocks;
    }

    [Fact]
    public void Parsing_never_throws_on_random_text()
    {
        Gen.String.Sample(text => { MergeTranscriptParser.Parse(text); }, iter: 5_000);
    }

    [Fact]
    public void Parsing_never_throws_on_mixtures_of_syntax_and_its_output_is_stable()
    {
        var newline = Gen.OneOf("\n", "\r\n", "\r", "\n\n");
        var text = Gen.Select(Line, newline).Array[0, 30]
            .Select(parts => string.Concat(parts.Select(p => p.Item1 + p.Item2)));

        text.Sample(t =>
        {
            var parsed = MergeTranscriptParser.Parse(t);
            // Whatever the parser makes of a text is in normal form, so rendering it loses nothing.
            Assert.Equal(parsed.Turns, MergeTranscriptParser.Parse(MergeTranscript.Render(parsed.Turns)).Turns);
        }, iter: 5_000);
    }
}
