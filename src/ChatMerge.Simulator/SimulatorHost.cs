using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace ChatMerge.Simulator;

/// <summary>The simulator running in-process on a loopback port, for tests and benchmarks.</summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly SimulatorState _state;

    SimulatorHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        _state = app.Services.GetRequiredService<SimulatorState>();
        BaseUrl = baseUrl;
    }

    /// <summary>Root of all three APIs, without <c>/v1</c>: e.g. <c>http://127.0.0.1:43125</c>.</summary>
    public Uri BaseUrl { get; }

    public SimulatorOptions Options => _state.Options;

    /// <summary>A snapshot of the requests received so far, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _state.Snapshot();

    public void ClearRequests() => _state.Clear();

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions? options = null, CancellationToken ct = default)
    {
        var app = SimulatorApp.Create(options ?? new SimulatorOptions());
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new SimulatorHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        // Stalled streams would hold a graceful stop for minutes; tests want the port back now.
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try { await _app.StopAsync(quick.Token); } catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
