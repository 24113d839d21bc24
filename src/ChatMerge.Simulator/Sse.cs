using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>
/// Writes server-sent events straight into the response pipe and flushes each one, so a client sees every
/// event the moment it is "generated" (and a fault strikes exactly where it is staged). With
/// <c>splitCharacters</c> each event leaves in pieces cut inside every multi-byte UTF-8 character, a pause
/// apart, so that a client reads characters split across reads, as a real network may hand them over.
/// </summary>
internal sealed class Sse
{
    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    static readonly TimeSpan SplitPause = TimeSpan.FromMilliseconds(20);

    readonly HttpContext _context;
    readonly PipeWriter _pipe;
    readonly ArrayBufferWriter<byte>? _split;
    readonly IBufferWriter<byte> _out;
    readonly Utf8JsonWriter _json;
    readonly string _newline;

    public Sse(HttpContext context, bool crlf = false, bool splitCharacters = false)
    {
        _context = context;
        _pipe = context.Response.BodyWriter;
        _split = splitCharacters ? new ArrayBufferWriter<byte>() : null;
        _out = _split ?? (IBufferWriter<byte>)_pipe;
        _json = new Utf8JsonWriter(_out, JsonOptions);
        _newline = crlf ? "\r\n" : "\n";
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public CancellationToken Aborted => _context.RequestAborted;

    public async ValueTask Event(string? name, Action<Utf8JsonWriter> data)
    {
        if (name is not null) Raw($"event: {name}{_newline}");
        Raw("data: ");
        _json.Reset(_out);
        data(_json);
        _json.Flush();
        Raw(_newline + _newline);
        await Send();
    }

    /// <summary>An event whose data is not JSON: OpenAI's <c>[DONE]</c> or a deliberately broken one.</summary>
    public async ValueTask RawEvent(string? name, string data)
    {
        if (name is not null) Raw($"event: {name}{_newline}");
        Raw($"data: {data}{_newline}{_newline}");
        await Send();
    }

    /// <summary>Sends the headers now, before the first event, as a real server does.</summary>
    public Task Start() => _context.Response.StartAsync(Aborted);

    void Raw(string s)
    {
        var span = _out.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        _out.Advance(Encoding.UTF8.GetBytes(s, span));
    }

    async ValueTask Send()
    {
        if (_split is null)
        {
            await _pipe.FlushAsync(Aborted);
            return;
        }
        var bytes = _split.WrittenMemory;
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            // A lead byte (11xxxxxx): the cut goes right after it, before the character's continuation bytes.
            if ((bytes.Span[i] & 0xC0) != 0xC0) continue;
            await _pipe.WriteAsync(bytes[start..(i + 1)], Aborted);
            await Task.Delay(SplitPause, Aborted);
            start = i + 1;
        }
        await _pipe.WriteAsync(bytes[start..], Aborted);
        _split.Clear();
    }
}
