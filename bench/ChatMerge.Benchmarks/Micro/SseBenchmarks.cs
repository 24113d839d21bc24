using System.Net.ServerSentEvents;
using BenchmarkDotNet.Attributes;
using ChatMerge.Completions;
using ChatMerge.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Benchmarks.Micro;

/// <summary>
/// Writing a completion's events the way the endpoint does: the server's own JSON options through
/// <c>TypedResults.ServerSentEvents</c>, into a response body. 1,000 content events and a done.
/// </summary>
[Config(typeof(MicroConfig))]
public class SseBenchmarks
{
    private IServiceProvider _services = null!;
    private SseItem<StreamEvent>[] _events = [];

    [GlobalSetup]
    public void Setup()
    {
        _services = new ServiceCollection()
            .AddLogging()
            .Configure<JsonOptions>(o => ServerDefaults.ConfigureJson(o.SerializerOptions))
            .BuildServiceProvider();
        _events = Enumerable.Range(0, 1_000).Select(i => StreamEvent.Of(StreamEvent.Content, $"tok{i} "))
            .Append(StreamEvent.Of(StreamEvent.Done, Guid.CreateVersion7().ToString()))
            .ToArray();
    }

    [Benchmark(Description = "Write 1,001 SSE events (TypedResults.ServerSentEvents)")]
    public async Task<long> WriteEvents()
    {
        var body = new CountingStream();
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Response.Body = body;
        await TypedResults.ServerSentEvents(Events()).ExecuteAsync(context);
        return body.Length;
    }

    private async IAsyncEnumerable<SseItem<StreamEvent>> Events()
    {
        foreach (var item in _events)
            yield return item;
        await Task.CompletedTask;
    }

    /// <summary>A response body that keeps nothing: the benchmark measures formatting, not a MemoryStream growing.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
