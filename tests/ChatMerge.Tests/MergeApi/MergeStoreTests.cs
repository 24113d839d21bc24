using Npgsql;
using Microsoft.EntityFrameworkCore.Diagnostics;
using System.Data.Common;
using System.Collections;
using ChatMerge.Data;
using ChatMerge.Merge;
using ChatMerge.Tests.Infrastructure;
using ChatMerge.Tests.Postgres;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.MergeApi;

/// <summary>Storing a merge's result: all of it in one transaction, or nothing.</summary>
public sealed class MergeStoreTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_merge_stored_in_full_reads_back_in_order_with_its_record()
    {
        var job = await JobAsync("stored in full");
        var messages = Enumerable.Range(0, 300)
            .Select(i => i % 2 == 0
                ? new MergedMessage("user", $"question {i} \"é\" 😀", null)
                : new MergedMessage("assistant", $"answer {i}", i % 3 == 0 ? $"thought {i}" : "", "anthropic", "claude-sonnet-4-5"))
            .ToList();

        Chat chat;
        await using (var scope = server.Services.CreateAsyncScope())
            chat = await MergeStore.SaveAsync(scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>(), job, messages, default);

        await using var read = server.Services.CreateAsyncScope();
        var db = read.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var stored = await db.Messages.AsNoTracking().Where(m => m.ChatId == chat.Id).OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToListAsync();
        Assert.Equal(messages.Select(m => (m.Role, m.Content, string.IsNullOrEmpty(m.Reasoning) ? null : m.Reasoning, m.Provider, m.Model)),
            stored.Select(m => (m.Role, m.Content, m.ReasoningTrace, m.Provider, m.Model)));
        Assert.All(stored, m => Assert.True(m.IsComplete));
        Assert.Equal(300, (await db.Chats.AsNoTracking().SingleAsync(c => c.Id == chat.Id)).MessageCount);
        var record = await db.MergeHistory.AsNoTracking().SingleAsync(h => h.MergedChatId == chat.Id);
        Assert.Equal(job.Chats.Select(c => c.Id), record.SourceChatIds);
    }

    [Fact]
    public async Task A_merge_that_fails_while_its_messages_are_stored_leaves_nothing()
    {
        var job = await JobAsync("fails midway");
        var before = await CountsAsync();

        await using (var scope = server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
            await Assert.ThrowsAsync<InvalidOperationException>(() => MergeStore.SaveAsync(db, job, new FailingMessages(100, failAt: 60), default));
        }

        Assert.Equal(before, await CountsAsync());
    }

    [PostgresFact]
    public async Task A_merge_whose_commit_got_through_before_its_connection_was_lost_is_stored_once()
    {
        var job = await JobAsync("answer to the commit lost");
        var before = await CountsAsync();
        var options = new DbContextOptionsBuilder<PostgresChatMergeDbContext>();
        DataExtensions.UsePostgres(options, server.Database.Url).AddInterceptors(new ReplyLostAfterCommit());
        await using var db = new PostgresChatMergeDbContext(options.Options);

        var chat = await MergeStore.SaveAsync(db, job, [new("user", "question", null), new("assistant", "answer", null)], default);

        Assert.Equal((before.Chats + 1, before.Messages + 2, before.Records + 1), await CountsAsync());
        await using var read = server.Services.CreateAsyncScope();
        Assert.Equal(2, (await read.ServiceProvider.GetRequiredService<ChatMergeDbContext>().Chats.AsNoTracking().SingleAsync(c => c.Id == chat.Id)).MessageCount);
    }

    /// <summary>The commit reaches PostgreSQL, then the connection fails before its answer is read (once).</summary>
    private sealed class ReplyLostAfterCommit : DbTransactionInterceptor
    {
        private int _lost;

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default) =>
            Interlocked.Exchange(ref _lost, 1) == 0
                ? throw new NpgsqlException("Exception while reading from stream", new IOException("Connection reset by peer"))
                : Task.CompletedTask;
    }

    private async Task<MergeJob> JobAsync(string title)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 2; i++)
            ids.Add(Guid.Parse((await server.CreateChatAsync(title: $"{title} {i}")).GetProperty("id").GetString()!));
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var chats = await db.Chats.AsNoTracking().Where(c => ids.Contains(c.Id)).OrderBy(c => c.Title).ToListAsync();
        return new MergeJob(chats, "openai", "gpt-4o-mini", ApiKey: "", "synthesize", Instructions: null, Title: null);
    }

    private async Task<(int Chats, int Messages, int Records)> CountsAsync()
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        return (await db.Chats.CountAsync(), await db.Messages.CountAsync(), await db.MergeHistory.CountAsync());
    }

    /// <summary>Messages whose enumeration fails part of the way through, as a fault while storing them would.</summary>
    private sealed class FailingMessages(int count, int failAt) : IReadOnlyList<MergedMessage>
    {
        public int Count => count;
        public MergedMessage this[int index] => index == failAt ? throw new InvalidOperationException("fault") : new("user", $"m{index}", null);

        public IEnumerator<MergedMessage> GetEnumerator()
        {
            for (var i = 0; i < count; i++)
                yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
