using System.Net;
using System.Text;

namespace ChatMerge.Tests.Providers.Gemini;

/// <summary>Serves canned wire text in order and records what the client sent.</summary>
internal sealed class FakeGeminiHandler : HttpMessageHandler
{
    public const string Key = "AIzaSyTEST-secret-key-123";

    readonly Queue<Func<HttpResponseMessage>> _responses = new();

    public List<(HttpMethod Method, Uri Uri, string? ApiKey, string? Body)> Requests { get; } = [];

    /// <summary>bytesPerRead small makes every SSE event straddle reads; hang keeps the body open after the text.</summary>
    public FakeGeminiHandler Respond(
        HttpStatusCode status, string body, string contentType = "application/json",
        int bytesPerRead = int.MaxValue, bool hang = false, TimeSpan? retryAfter = null)
    {
        _responses.Enqueue(() =>
        {
            var content = new StreamContent(new TrickleStream(Encoding.UTF8.GetBytes(body), bytesPerRead, hang));
            content.Headers.ContentType = new(contentType);
            var response = new HttpResponseMessage(status) { Content = content };
            if (retryAfter is { } delay)
                response.Headers.RetryAfter = new(delay);
            return response;
        });
        return this;
    }

    public FakeGeminiHandler RespondSse(string sse, int bytesPerRead = int.MaxValue, bool hang = false) =>
        Respond(HttpStatusCode.OK, sse, "text/event-stream", bytesPerRead, hang);

    public HttpClient CreateClient() => new(this) { BaseAddress = new("http://127.0.0.1:5100/") };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var key = request.Headers.TryGetValues("x-goog-api-key", out var values) ? values.Single() : null;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
        Requests.Add((request.Method, request.RequestUri!, key, body));
        return _responses.Dequeue()();
    }

    /// <summary>A response body that hands out a few bytes per read, like a slow network.</summary>
    sealed class TrickleStream(byte[] data, int bytesPerRead, bool hang) : Stream
    {
        int _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_position == data.Length)
            {
                if (hang)
                    await Task.Delay(Timeout.Infinite, ct);
                return 0;
            }
            await Task.Yield();
            var count = Math.Min(Math.Min(bytesPerRead, buffer.Length), data.Length - _position);
            data.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
