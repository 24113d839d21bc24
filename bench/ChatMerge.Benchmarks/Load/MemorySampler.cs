namespace ChatMerge.Benchmarks.Load;

/// <summary>Samples a process's RSS while a phase runs; VmHWM alone would only give the peak since start.</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public MemorySampler(ChildProcess process) => _loop = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            Peak = Math.Max(Peak, process.Memory().Rss);
            try { await Task.Delay(50, _stop.Token); } catch (OperationCanceledException) { }
        }
    });

    public long Peak { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
