namespace ChatMerge.Simulator;

// A named class, not top-level statements: the test project references both the server and the simulator,
// and two global Program types would clash there.
internal static class SimulatorProgram
{
    // dotnet run --project src/ChatMerge.Simulator -- --port 5100 [--keys k1,k2] [--max-context-tokens N] [--stall-seconds S]
    public static void Main(string[] args)
    {
        var options = new SimulatorOptions { Port = 5100 };
        var app = SimulatorApp.Create(options, args);
        Console.WriteLine($"ChatMerge provider simulator on http://127.0.0.1:{options.Port}");
        app.Run();
    }
}
