using BenchmarkDotNet.Attributes;
using ChatMerge.Merge;

namespace ChatMerge.Benchmarks.Micro;

/// <summary>Token counting sizes every merge prompt; a 2×1,000-message merge counts about 1 MB of text.</summary>
[Config(typeof(MicroConfig))]
public class TokenCountBenchmarks
{
    private string _message = "";
    private string _transcript = "";

    [GlobalSetup]
    public void Setup()
    {
        _message = SampleText.Paragraph(1, 6);
        _transcript = SampleText.Transcript(1 << 20);
        TokenCounter.Shared.Count("openai", "warm");
    }

    [Benchmark(Description = "Count tokens of one message (OpenAI, exact)")]
    public int Message() => TokenCounter.Shared.Count("openai", _message);

    [Benchmark(Description = "Count tokens of 1 MB (Anthropic, scaled)")]
    public int Megabyte() => TokenCounter.Shared.Count("anthropic", _transcript);
}
