using System.IO.Pipelines;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>
/// Writes server-sent events straight into the response pipe and flushes each one, so a client sees every
/// event the moment it is "generated" (and a fault strikes exactly where it is staged).
/// </summary>
internal sealed class Sse
{
    static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    readonly HttpContext _context;
    readonly PipeWriter _pipe;
    readonly Utf8JsonWriter _json;
    readonly string _newline;

    public Sse(HttpContext context, bool crlf = false)
    {
        _context = context;
        _pipe = context.Response.BodyWriter;
        _json = new Utf8JsonWriter(_pipe, JsonOptions);
        _newline = crlf ? "\r\n" : "\n";
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public CancellationToken Aborted => _context.RequestAborted;

    public async ValueTask Event(string? name, Action<Utf8JsonWriter> data)
    {
        if (name is not null) Raw($"event: {name}{_newline}");
        Raw("data: ");
        _json.Reset(_pipe);
        data(_json);
        _json.Flush();
        Raw(_newline + _newline);
        await _pipe.FlushAsync(Aborted);
    }

    /// <summary>An event whose data is not JSON: OpenAI's <c>[DONE]</c> or a deliberately broken one.</summary>
    public async ValueTask RawEvent(string? name, string data)
    {
        if (name is not null) Raw($"event: {name}{_newline}");
        Raw($"data: {data}{_newline}{_newline}");
        await _pipe.FlushAsync(Aborted);
    }

    /// <summary>Sends the headers now, before the first event, as a real server does.</summary>
    public Task Start() => _context.Response.StartAsync(Aborted);

    void Raw(string s)
    {
        var span = _pipe.GetSpan(Encoding.UTF8.GetMaxByteCount(s.Length));
        _pipe.Advance(Encoding.UTF8.GetBytes(s, span));
    }
}
