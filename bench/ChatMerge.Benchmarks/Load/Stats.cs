namespace ChatMerge.Benchmarks.Load;

/// <summary>Percentiles of a set of timings (nearest rank), in the unit they were given.</summary>
internal sealed record Stats(int Count, double P50, double P95, double P99, double Max, double Mean)
{
    public static Stats Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        return new Stats(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95), Rank(sorted, 0.99), sorted[^1], sorted.Average());
    }

    private static double Rank(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
