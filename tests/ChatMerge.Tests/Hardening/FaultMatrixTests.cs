using ChatMerge.Tests.Infrastructure;
using Xunit.Abstractions;

namespace ChatMerge.Tests.Hardening;

/// <summary>
/// Provider × fault × operation. Every case must end in exactly one clear <c>error</c> event, leave
/// the server serving, and leave the database consistent. The operation column holds "completion";
/// merge rows join the same matrix through <see cref="Operations"/> and a case in <see cref="Faults.RunAsync"/>.
/// </summary>
public sealed class FaultMatrixTests(SimulatedServerFixture server, RefusedProviderServerFixture refused, ITestOutputHelper output)
    : IClassFixture<SimulatedServerFixture>, IClassFixture<RefusedProviderServerFixture>
{
    public static TheoryData<string, string, string> Cases()
    {
        var cases = new TheoryData<string, string, string>();
        foreach (var operation in Faults.Operations)
            foreach (var provider in Faults.Models.Keys)
                foreach (var fault in Faults.Expected.Keys)
                    cases.Add(provider, fault, operation);
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Provider_fault_gives_one_clear_error_event_and_keeps_the_database_consistent(string provider, string fault, string operation)
    {
        var target = fault == Faults.Refused ? (ServerFixture)refused : server;
        var outcome = await Faults.RunAsync(target, provider, fault, operation);
        output.WriteLine($"{provider} {fault} {operation}: {outcome.Stream.Last?.Data}");

        Assert.Equal(200, outcome.Stream.Status);
        var error = Assert.Single(outcome.Stream.Events, e => e.Type == "error");
        Assert.Same(error, outcome.Stream.Last);
        Assert.DoesNotContain(outcome.Stream.Events, e => e.Type is "done" or "merge_complete");
        Assert.Contains(Faults.Expected[fault](provider), error.Data, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(@"\bat [\w.]+\(", error.Data);
        Assert.DoesNotContain("Exception", error.Data);
        Assert.DoesNotContain("[redacted]", error.Data);
        Assert.DoesNotContain("key-", error.Data);

        await outcome.AssertConsistentAsync(target);

        // Still serving: the health check, a read and (with a reachable provider) a healthy answer.
        Assert.Equal(System.Net.HttpStatusCode.OK, (await target.Client.GetAsync("/health")).StatusCode);
        await HttpAssert.JsonAsync(await target.Client.GetAsync($"/api/chats/{outcome.ChatId}"));
        if (fault != Faults.Refused)
            Assert.Equal("done", (await target.CompleteAsync(outcome.ChatId, "are you still there?")).Last?.Type);
    }
}
