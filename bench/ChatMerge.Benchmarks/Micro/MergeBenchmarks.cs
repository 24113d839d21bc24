using BenchmarkDotNet.Attributes;
using ChatMerge.Merge;

namespace ChatMerge.Benchmarks.Micro;

/// <summary>The merge's pure hot paths: reading the model's answer and writing the sources into the prompt.</summary>
[Config(typeof(MicroConfig))]
public class MergeBenchmarks
{
    private string _transcript = "";
    private List<SourceConversation> _sources = [];

    [GlobalSetup]
    public void Setup()
    {
        _transcript = SampleText.Transcript(1 << 20);
        _sources = Enumerable.Range(0, 2)
            .Select(c => new SourceConversation($"Chat {c}", "openai", "gpt-4o-mini",
                SampleText.Turns(1_000).Select(t => new SourceMessage(t.Role == TurnRole.User ? "user" : "assistant", t.Content, t.Reasoning)).ToList()))
            .ToList();
    }

    [Benchmark(Description = "Parse a 1 MB merge answer")]
    public int Parse() => MergeTranscriptParser.Parse(_transcript).Turns.Count;

    [Benchmark(Description = "Format 2×1,000 messages as merge sources")]
    public int FormatSources() => MergeTranscript.RenderSources(_sources).Length;
}
