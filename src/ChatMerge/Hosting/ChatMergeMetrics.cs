using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ChatMerge.Hosting;

/// <summary>
/// The server's own metrics, on the <c>ChatMerge</c> meter. Tags name the provider and the model,
/// never a key or any message text. Streams are tracked with <see cref="TrackCompletion"/> and
/// <see cref="TrackMerge"/>: the returned tracker counts the start, the first token, the tokens,
/// a failure, and the stream's end when it is disposed.
/// </summary>
internal sealed class ChatMergeMetrics
{
    public const string MeterName = "ChatMerge";
    public const string Completion = "completion";
    public const string Merge = "merge";

    // One process-wide meter, never disposed. Meters made per container (IMeterFactory) share their
    // name with every other container in the process (test servers), and OpenTelemetry merges
    // same-named instruments: disposing one container's meter would then silence the others.
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> CompletionsStarted = Meter.CreateCounter<long>("chatmerge.completions.started", "{completion}", "Completions sent to a provider.");
    private static readonly Counter<long> CompletionsFailed = Meter.CreateCounter<long>("chatmerge.completions.failed", "{completion}", "Completions that ended with an error event.");
    private static readonly Counter<long> MergesStarted = Meter.CreateCounter<long>("chatmerge.merges.started", "{merge}", "Merges sent to the merge model.");
    private static readonly Counter<long> MergesFailed = Meter.CreateCounter<long>("chatmerge.merges.failed", "{merge}", "Merges that ended with an error event.");
    // Models answer within tens of milliseconds to a minute; the default buckets (up to 10 000) are for milliseconds.
    private static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram("chatmerge.time_to_first_token", "s", "Time from the request to the first streamed text or reasoning.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120] });
    private static readonly Counter<long> TokenCount = Meter.CreateCounter<long>("chatmerge.tokens", "{token}", "Tokens the providers reported, by gen_ai.token.type (input or output).");
    private static readonly Counter<long> ClientsStalled = Meter.CreateCounter<long>("chatmerge.streams.client_stalled", "{stream}",
        "Event streams whose client stopped reading for longer than the idle timeout and was disconnected.");
    private static readonly UpDownCounter<long> ActiveStreamCount = Meter.CreateUpDownCounter<long>("chatmerge.streams.active", "{stream}", "Event streams open right now.");

    private long _activeCount;

    /// <summary>Streams open right now, completions and merges together (for the shutdown log).</summary>
    public long ActiveStreams => Interlocked.Read(ref _activeCount);

    /// <summary>Counts a completion as started and its stream as active until the tracker is disposed.</summary>
    public StreamTracker TrackCompletion(string provider, string model) => Start(Completion, provider, model);

    /// <summary>Counts a merge as started and its stream as active until the tracker is disposed.</summary>
    public StreamTracker TrackMerge(string provider, string model) => Start(Merge, provider, model);

    /// <summary>Counts a stream whose client stopped reading and was let go of; <paramref name="operation"/> is <see cref="Completion"/> or <see cref="Merge"/>.</summary>
    public void ClientStalled(string operation) => ClientsStalled.Add(1, new KeyValuePair<string, object?>("chatmerge.operation", operation));

    private StreamTracker Start(string operation, string provider, string model)
    {
        var tags = new TagList { { "gen_ai.provider.name", provider }, { "gen_ai.request.model", model } };
        (operation == Merge ? MergesStarted : CompletionsStarted).Add(1, tags);
        ActiveStreamCount.Add(1, new KeyValuePair<string, object?>("chatmerge.operation", operation));
        Interlocked.Increment(ref _activeCount);
        return new StreamTracker(this, operation, tags);
    }

    /// <summary>One stream's measurements. Not thread-safe: a stream is produced by one caller.</summary>
    internal sealed class StreamTracker(ChatMergeMetrics metrics, string operation, TagList tags) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private bool _firstTokenSeen;
        private bool _failed;
        private bool _disposed;

        /// <summary>Call on every piece of streamed output; only the first one is measured.</summary>
        public void Token()
        {
            if (_firstTokenSeen)
                return;
            _firstTokenSeen = true;
            var withOperation = tags;
            withOperation.Add("chatmerge.operation", operation);
            TimeToFirstToken.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, withOperation);
        }

        /// <summary>Counts the failure once; <paramref name="errorType"/> is a short class of error (an exception type name), never a message.</summary>
        public void Failed(string errorType)
        {
            if (_failed)
                return;
            _failed = true;
            var withError = tags;
            withError.Add("error.type", errorType);
            (operation == Merge ? MergesFailed : CompletionsFailed).Add(1, withError);
        }

        public void Tokens(long? input, long? output)
        {
            Add(input, "input");
            Add(output, "output");
        }

        private void Add(long? count, string type)
        {
            if (count is not > 0)
                return;
            var withType = tags;
            withType.Add("chatmerge.operation", operation);
            withType.Add("gen_ai.token.type", type);
            TokenCount.Add(count.Value, withType);
        }

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            ActiveStreamCount.Add(-1, new KeyValuePair<string, object?>("chatmerge.operation", operation));
            Interlocked.Decrement(ref metrics._activeCount);
        }
    }
}
