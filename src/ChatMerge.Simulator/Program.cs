// Standalone: dotnet run --project src/ChatMerge.Simulator -- --port 5100 [--keys k1,k2] [--max-context-tokens N] [--stall-seconds S]
var app = ChatMerge.Simulator.SimulatorApp.Create(new ChatMerge.Simulator.SimulatorOptions { Port = 5100 }, args);
Console.WriteLine($"ChatMerge provider simulator on http://127.0.0.1:{app.Services.GetRequiredService<ChatMerge.Simulator.SimulatorState>().Options.Port}");
app.Run();
