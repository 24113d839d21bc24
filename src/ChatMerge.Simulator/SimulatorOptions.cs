namespace ChatMerge.Simulator;

/// <summary>Settings of one simulator instance; change them before or while it runs.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Keys accepted by every provider; any other key gets that provider's real auth error.</summary>
    public HashSet<string> ValidKeys { get; } = ["sim-openai-key", "sim-anthropic-key", "sim-gemini-key"];

    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>How long <c>fault=stall</c> keeps silent (the client usually gives up first).</summary>
    public TimeSpan StallDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Rejects any request whose estimated prompt tokens exceed this with a context-length error; 0 = off.</summary>
    public int MaxContextTokens { get; set; }

    /// <summary>Keep a copy of every request for <see cref="SimulatorHost.Requests"/>; benchmarks may turn it off.</summary>
    public bool RecordRequests { get; set; } = true;
}

/// <summary>A request as the simulator received it. Auth header values are replaced by "REDACTED".</summary>
public sealed record RecordedRequest(
    string Provider, string Method, string Path, string Body, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>When the request's body had been read.</summary>
    public DateTimeOffset ReceivedAt { get; init; } = DateTimeOffset.UtcNow;
}
