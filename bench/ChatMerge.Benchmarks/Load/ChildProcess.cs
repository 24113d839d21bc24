using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ChatMerge.Benchmarks.Load;

/// <summary>
/// The server or the simulator as a process of its own, so that its memory is its own: RSS is read
/// from /proc/&lt;pid&gt;/status. Its output is drained (a full pipe would block it) and the tail kept for errors.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public event Action<string>? Line;

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}."));
    }

    /// <summary>CPU time the process has used so far, user and kernel.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>Resident set size now (VmRSS) and its peak since start (VmHWM), in bytes; 0 where /proc is missing.</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line) * 1024;
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line) * 1024;
            }
        }
        catch (IOException) { }
        return (rss, peak);
    }

    /// <summary>The exit code, or -1 when the process did not end within <paramref name="timeout"/> (it is then killed).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(wait.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            return -1;
        }
    }

    public string Tail()
    {
        lock (_tail) return string.Join(Environment.NewLine, _tail);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited)
        {
            _process.Dispose();
            return;
        }
        // Closing stdin ends the simulator; SIGTERM is the server's graceful stop.
        try { _process.StandardInput.Close(); } catch (IOException) { }
        _ = SendSignal(_process.Id, SigTerm);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException) { _process.Kill(); await _process.WaitForExitAsync(); }
        _process.Dispose();
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    private void Keep(string? line)
    {
        if (line is null) return;
        Line?.Invoke(line);
        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > 40) _tail.Dequeue();
        }
    }
}
