using System.Net.ServerSentEvents;
using ChatMerge.Hosting;
using ChatMerge.Providers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatMerge.Completions;

/// <summary>
/// The response of a completion or a merge: each event written and flushed as it comes. A client
/// that stops reading (its window full, a write pending for longer than <see cref="ProvidersOptions.StreamIdleTimeout"/>)
/// is disconnected: waiting on it would hold the stream and its provider connection for as long as
/// the socket lives. The stream then ends as for any client that went away, keeping what arrived;
/// the log and the <c>chatmerge.streams.client_stalled</c> counter say why.
/// While no event comes (a model thinking before it writes), a comment line keeps proxies and
/// clients with read timeouts from closing the stream (<see cref="KeepAlive"/>).
/// </summary>
internal static partial class EventStream
{
    /// <param name="operation"><see cref="ChatMergeMetrics.Completion"/> or <see cref="ChatMergeMetrics.Merge"/>.</param>
    public static ServerSentEventsResult<StreamEvent> Open(
        HttpContext http, IAsyncEnumerable<SseItem<StreamEvent>> events, ProvidersOptions options, string operation)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        // nginx buffers proxied responses unless told otherwise; the original backend said so on its streams too.
        http.Response.Headers["X-Accel-Buffering"] = "no";
        void LetGo()
        {
            var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(EventStream).FullName!);
            LogClientStalled(logger, http.Request.Path, options.StreamIdleTimeout.TotalSeconds);
            http.RequestServices.GetRequiredService<ChatMergeMetrics>().ClientStalled(operation);
            http.Abort();
        }
        return TypedResults.ServerSentEvents(Watched(events, http, options.StreamIdleTimeout, options.KeepAliveInterval, LetGo));
    }

    private static async IAsyncEnumerable<SseItem<StreamEvent>> Watched(
        IAsyncEnumerable<SseItem<StreamEvent>> events, HttpContext http, TimeSpan stuckAfter, TimeSpan keepAliveAfter, Action letGo)
    {
        // Made when the writer asks for the first event: the response's headers are set by then.
        using var watch = new WriteWatch(stuckAfter, letGo);
        await using var keepAlive = new KeepAlive(http.Response.Body, watch, keepAliveAfter);
        await foreach (var item in events)
        {
            // The writer asks for the next event once this one is written and flushed; a comment is never
            // written in between.
            await keepAlive.EnterAsync();
            try
            {
                watch.Writing();
                yield return item;
                watch.Written();
            }
            finally
            {
                keepAlive.Exit();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The client of {Path} stopped reading its events: one waited {Seconds:0} s or more to be written; the client was disconnected")]
    private static partial void LogClientStalled(ILogger logger, string path, double seconds);
}

/// <summary>
/// Writes the comment line <c>: keep-alive</c> when no event has been written for half of <c>interval</c>
/// or more, looking every <c>interval</c>: a stream is never silent for much longer than that. Clients
/// skip comment lines (the original client reads only lines that start with <c>data: </c>). Events and
/// comments take turns: the event writer holds the turn from an event's hand-over until it is flushed.
/// </summary>
internal sealed class KeepAlive : IAsyncDisposable
{
    private static readonly ReadOnlyMemory<byte> Comment = ": keep-alive\n\n"u8.ToArray();

    private readonly Stream _body;
    private readonly WriteWatch _watch;
    private readonly TimeSpan _quiet;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly ITimer? _timer;
    private long _lastWritten;
    private volatile bool _disposed;

    public KeepAlive(Stream body, WriteWatch watch, TimeSpan interval, TimeProvider? time = null)
    {
        _body = body;
        _watch = watch;
        _quiet = interval / 2;
        _time = time ?? TimeProvider.System;
        _lastWritten = _time.GetTimestamp();
        if (interval > TimeSpan.Zero)
            _timer = _time.CreateTimer(static state => ((KeepAlive)state!).Tick(), this, interval, interval);
    }

    /// <summary>The event writer's turn, taken before an event is handed over.</summary>
    public Task EnterAsync() => _turn.WaitAsync();

    /// <summary>Gives the turn back once the event is written (or the writer stopped).</summary>
    public void Exit()
    {
        Volatile.Write(ref _lastWritten, _time.GetTimestamp());
        _turn.Release();
    }

    private void Tick()
    {
        if (_disposed || _time.GetElapsedTime(Volatile.Read(ref _lastWritten)) < _quiet || !_turn.Wait(0))
            return;
        _ = SendAsync();
    }

    private async Task SendAsync()
    {
        try
        {
            if (_disposed)
                return;
            // A client that stopped reading is let go of as for an event (WriteWatch).
            _watch.Writing();
            await _body.WriteAsync(Comment);
            await _body.FlushAsync();
            _watch.Written();
        }
        catch (Exception)
        {
            // The client went away: the stream ends as for any client that does, at its next event.
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Stops the comments, and waits for one being written: the response ends after this.</summary>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _timer?.Dispose();
        await _turn.WaitAsync();
    }
}

/// <summary>
/// Calls <c>abort</c>, once, when a write has been pending for <c>limit</c>. A write only stores a
/// timestamp; a timer looks every <c>limit</c>, so a stuck client is found within twice that.
/// </summary>
internal sealed class WriteWatch : IDisposable
{
    private readonly TimeSpan _limit;
    private readonly Action _abort;
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private long _writingSince;

    public WriteWatch(TimeSpan limit, Action abort, TimeProvider? time = null)
    {
        _limit = limit;
        _abort = abort;
        _time = time ?? TimeProvider.System;
        _timer = _time.CreateTimer(static state => ((WriteWatch)state!).Check(), this, limit, limit);
    }

    public void Writing() => Volatile.Write(ref _writingSince, _time.GetTimestamp());

    public void Written() => Volatile.Write(ref _writingSince, 0);

    private void Check()
    {
        var since = Volatile.Read(ref _writingSince);
        if (since == 0 || _time.GetElapsedTime(since) < _limit)
            return;
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _abort();
    }

    public void Dispose() => _timer.Dispose();
}
