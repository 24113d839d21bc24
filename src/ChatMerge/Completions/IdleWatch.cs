namespace ChatMerge.Completions;

/// <summary>
/// A token that is cancelled when a stream has sent nothing for too long: <c>firstLimit</c> until
/// the first piece, <c>limit</c> between pieces. A piece only stores a timestamp (<see cref="Touch"/>);
/// the timer re-arms itself for the time left when it fires. Re-arming a timer per token instead
/// would take the runtime's timer lock per token, which a thousand concurrent streams contend on.
/// </summary>
internal sealed class IdleWatch : IDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly ITimer _timer;
    private readonly TimeProvider _time;
    private readonly TimeSpan _firstLimit;
    private readonly TimeSpan _limit;
    private long _lastPiece;
    private volatile bool _touched;
    private volatile bool _paused;

    public IdleWatch(TimeSpan firstLimit, TimeSpan limit, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _firstLimit = firstLimit;
        _limit = limit;
        _lastPiece = _time.GetTimestamp();
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _timer = _time.CreateTimer(static state => ((IdleWatch)state!).Check(), this, firstLimit, Timeout.InfiniteTimeSpan);
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>True once the watch itself (not the outer token) cancelled.</summary>
    public bool Expired { get; private set; }

    /// <summary>The silence that was allowed when the watch expired (or is allowed now).</summary>
    public TimeSpan Limit => _touched ? _limit : _firstLimit;

    public void Touch()
    {
        Volatile.Write(ref _lastPiece, _time.GetTimestamp());
        _touched = true;
        _paused = false;
    }

    /// <summary>
    /// Stops counting until the next <see cref="Touch"/>: while a piece is handed on to a client that is slow
    /// to read, the provider is not the one that is silent (a client that stops reading is let go of by
    /// <see cref="WriteWatch"/>).
    /// </summary>
    public void Pause() => _paused = true;

    private void Check()
    {
        var left = _paused ? Limit : Limit - _time.GetElapsedTime(Volatile.Read(ref _lastPiece));
        try
        {
            if (left > TimeSpan.Zero)
            {
                _timer.Change(left, Timeout.InfiniteTimeSpan);
                return;
            }
            Expired = true;
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while the timer fired.
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _cancel.Dispose();
    }
}
