using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ChatMerge.Benchmarks.Load;

internal sealed record ReportTable(string Title, string[] Columns, List<string[]> Rows, string? Note = null);

internal sealed record TargetCheck(string Target, string Limit, string Measured, bool Holds);

/// <summary>The tables of one load run, printed as Markdown and saved as Markdown and JSON.</summary>
internal sealed class Report
{
    public DateTimeOffset Date { get; } = DateTimeOffset.Now;
    public string Machine { get; } = DescribeMachine();
    public string Command { get; init; } = "";
    public string Database { get; set; } = "";
    public string Processes { get; set; } = "";

    /// <summary>The 1-minute load average before and after the run: on a shared machine, the figures mean little without it.</summary>
    public string LoadAverage { get; private set; } = $"{ReadLoadAverage()} before";

    public void Finish() => LoadAverage += $", {ReadLoadAverage()} after";
    public List<ReportTable> Tables { get; } = [];
    public List<TargetCheck> Targets { get; } = [];

    /// <summary>Every measured figure by a stable key, for tools that compare runs.</summary>
    public SortedDictionary<string, double> Figures { get; } = new(StringComparer.Ordinal);

    public void Add(ReportTable table)
    {
        Tables.Add(table);
        Console.WriteLine(Render(table));
    }

    public void Check(string target, string limit, double measured, string unit, bool holds, string? detail = null) =>
        Targets.Add(new TargetCheck(target, limit, $"{Format(measured)}{(unit.Length > 0 ? " " + unit : "")}{(detail is null ? "" : $" ({detail})")}", holds));

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"Date: {Date:yyyy-MM-dd HH:mm zzz}  ");
        sb.AppendLine($"Machine: {Machine}  ");
        sb.AppendLine($"Database: {Database}  ");
        sb.AppendLine($"Processes: {Processes}  ");
        sb.AppendLine($"Load average (1 min): {LoadAverage}  ");
        sb.AppendLine($"Command: `{Command}`");
        sb.AppendLine();
        foreach (var table in Tables)
            sb.AppendLine(Render(table));
        sb.AppendLine(Render(new ReportTable("Targets", ["Target", "Limit", "Measured", "Holds"],
            Targets.Select(t => new[] { t.Target, t.Limit, t.Measured, t.Holds ? "yes" : "**no**" }).ToList())));
        return sb.ToString();
    }

    public async Task<string> SaveAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = Path.Combine(directory, $"load-{Date:yyyyMMdd-HHmmss}");
        await File.WriteAllTextAsync(stem + ".md", ToMarkdown());
        await File.WriteAllTextAsync(stem + ".json", JsonSerializer.Serialize(this, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        }));
        return stem;
    }

    public static string Format(double value) => double.IsNaN(value) ? "–" : value switch
    {
        >= 1000 => value.ToString("N0"),
        >= 100 => value.ToString("0"),
        >= 10 => value.ToString("0.0"),
        _ => value.ToString("0.00"),
    };

    public static string Megabytes(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0");

    private static string Render(ReportTable table)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"### {table.Title}").AppendLine();
        sb.AppendLine("| " + string.Join(" | ", table.Columns) + " |");
        sb.AppendLine("|" + string.Concat(table.Columns.Select(_ => "---|")));
        foreach (var row in table.Rows)
            sb.AppendLine("| " + string.Join(" | ", row) + " |");
        if (table.Note is not null)
            sb.AppendLine().AppendLine(table.Note);
        return sb.ToString();
    }

    private static string DescribeMachine()
    {
        var cpu = ReadFirst("/proc/cpuinfo", "model name")?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        var memory = ReadFirst("/proc/meminfo", "MemTotal") is { } line
            ? $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024 / 1024.0:0.#} GB RAM"
            : "";
        return $"{Environment.ProcessorCount} cores ({cpu}), {memory}, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}";
    }

    private static string ReadLoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static string? ReadFirst(string path, string prefix)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
