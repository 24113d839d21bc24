namespace ChatMerge.Simulator;

/// <summary>The part of every stream that is the same across protocols: pacing, stalls and mid-stream faults.</summary>
internal static class Streaming
{
    static readonly TimeSpan DropGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends the chunks with the requested pacing.</summary>
    public static async Task Chunks(Plan plan, List<string> chunks, CancellationToken ct, Func<string, ValueTask> send)
    {
        for (var i = 0; i < chunks.Count; i++)
        {
            if (i > 0) await Pace(plan, ct);
            await send(chunks[i]);
        }
    }

    /// <summary>
    /// Sends the text chunks, staging a mid-stream fault after <see cref="Plan.FaultAt"/> of them.
    /// Returns false when the fault has ended the stream and the caller must write nothing more.
    /// </summary>
    public static async Task<bool> Text(
        Plan plan, SimulatorOptions options, Sse sse, HttpContext context,
        Func<string, ValueTask> send, Func<ValueTask> sendError, string? malformedEventName = null)
    {
        var ct = context.RequestAborted;
        for (var i = 0; i <= plan.Text.Count; i++)
        {
            if (i == plan.FaultAt)
            {
                switch (plan.Fault)
                {
                    case Fault.ErrorMid:
                        await sendError();
                        return false;
                    case Fault.Malformed:
                        await sse.RawEvent(malformedEventName, "{not json");
                        return false;
                    case Fault.Drop:
                        // The pause lets the client read what was sent: a reset that arrives before the client's
                        // read discards the unread bytes, and the drop would look like a failure to connect.
                        await Task.Delay(DropGrace, ct);
                        // Abort resets the connection: the client gets an I/O error, not a clean end of body.
                        context.Abort();
                        return false;
                    case Fault.Stall:
                        if (!await Stall(options, ct)) return false;
                        break;
                }
            }
            if (i == plan.Text.Count) break;
            if (i > 0) await Pace(plan, ct);
            await send(plan.Text[i]);
        }
        return true;
    }

    /// <summary>Waits out a stall; false when the client gave up meanwhile.</summary>
    public static async Task<bool> Stall(SimulatorOptions options, CancellationToken ct)
    {
        try
        {
            await Task.Delay(options.StallDuration, ct);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    static Task Pace(Plan plan, CancellationToken ct) =>
        plan.Directives.DelayMs > 0 ? Task.Delay(plan.Directives.DelayMs, ct) : Task.CompletedTask;
}

internal static class NonStreaming
{
    /// <summary>
    /// A non-streaming request has no "middle": error-mid becomes a server error, drop an aborted connection,
    /// malformed a broken body and a stall a late answer. True when the response is already settled.
    /// </summary>
    public static async Task<bool> Fault(Plan plan, HttpContext ctx, SimulatorOptions options, Func<Task> serverError)
    {
        switch (plan.Fault)
        {
            case Simulator.Fault.ErrorMid:
                await serverError();
                return true;
            case Simulator.Fault.Drop:
                ctx.Abort();
                return true;
            case Simulator.Fault.Malformed:
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("{not json", ctx.RequestAborted);
                return true;
            case Simulator.Fault.Stall or Simulator.Fault.StallStart:
                return !await Streaming.Stall(options, ctx.RequestAborted);
            default:
                return false;
        }
    }
}
