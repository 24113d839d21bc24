namespace ChatMerge.Tests.Infrastructure;

/// <summary>Polls for a state that another party (the server, after a disconnect) reaches shortly.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan? within = null) where T : struct
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            if (await probe() is { } value)
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("The expected state was not reached in time.");
            await Task.Delay(50);
        }
    }
}
