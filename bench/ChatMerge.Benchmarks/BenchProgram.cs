using BenchmarkDotNet.Running;
using ChatMerge.Benchmarks.Load;
using System.Runtime.InteropServices;
using ChatMerge.Simulator;

namespace ChatMerge.Benchmarks;

// A named class, not top-level statements: the server's global Program comes in with the project reference.
internal static class BenchProgram
{
    private const string Usage = """
        ChatMerge benchmarks (build and run in Release):
          dotnet run -c Release --project bench/ChatMerge.Benchmarks -- load [--quick] [--out DIR]
          dotnet run -c Release --project bench/ChatMerge.Benchmarks -- micro [BenchmarkDotNet arguments]
        """;

    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "load":
                return await LoadDriver.RunAsync(LoadSettings.Parse(args[1..]));
            case "micro":
                BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args.Length > 1 ? args[1..] : ["--filter", "*"]);
                return 0;
            case "sim":
                // The simulator in a process of its own, started by the load driver: on a small machine
                // server, simulator and driver should not share one runtime's thread pool and GC.
                await using (var sim = await SimulatorHost.StartAsync(new SimulatorOptions { Port = int.Parse(args[1]), RecordRequests = false }))
                    await ServeUntilStoppedAsync(sim.BaseUrl);
                return 0;
            case "relay":
                // The reference relay (PORT SIMULATOR-URL), also in a process of its own.
                await using (var relay = ReferenceRelay.Create(int.Parse(args[1]), new Uri(args[2])))
                {
                    await relay.StartAsync();
                    await ServeUntilStoppedAsync(new Uri($"http://127.0.0.1:{args[1]}"));
                }
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    // Tells the driver where it listens, then serves until the driver closes stdin or sends SIGTERM.
    private static async Task ServeUntilStoppedAsync(Uri url)
    {
        Console.WriteLine($"ready {url}");
        var stop = new TaskCompletionSource();
        using var signal = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.TrySetResult(); });
        await Task.WhenAny(Task.Run(Console.In.ReadToEnd), stop.Task);
    }
}
