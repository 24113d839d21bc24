using System.Buffers.Binary;
using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Completions;

/// <summary>
/// On SQLite the log is copied into the database by the commits of answers, not by the commit of a
/// question that a first token waits for (<see cref="SqliteMessageWriter.AnswerCheckpointPages"/>).
/// A server of its own: nothing else writes to its database meanwhile.
/// </summary>
public sealed class SqliteCheckpointTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [SqliteFact]
    public async Task Questions_leave_the_log_to_the_answers_which_copy_it()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "checkpoints")).GetProperty("id").GetString()!);
        var writer = server.Services.GetRequiredService<ChatMessages>();
        Message Text(string role, int i) => new() { ChatId = chat, Role = role, Content = $"{role} {i} " + new string('x', 1_500) };
        Task Store(string role, int i) => writer.AppendAsync(chat, [Text(role, i)], default);

        // Questions alone, past the 1,000 pages from which SQLite would copy the log by default: half as a
        // completion stores its question when no other write is under way, half through the queue.
        for (var i = 0; LogFrames() < 1_500; i++)
        {
            Assert.True(i < 2_000, "the questions did not grow the log");
            if (i % 2 == 0)
                Assert.True(writer.TryStartAlone(chat, _ => Text("user", i), out var start) && start is not null);
            else
                await Store("user", i);
        }

        // An answer's commit copies the log into the database; the next write starts the log over.
        await Store("assistant", 0);
        await Store("user", -1);
        Assert.True(LogFrames() < 100, $"the log was not copied by the answer: {LogFrames()} frames");
    }

    /// <summary>
    /// Frames written to the log since it last started over: the frames from the file's start that carry
    /// the header's salts (the file is not truncated when the log starts over; older frames keep old salts).
    /// </summary>
    private int LogFrames()
    {
        var log = File.ReadAllBytes(server.DatabasePath + "-wal");
        var pageSize = BinaryPrimitives.ReadInt32BigEndian(log.AsSpan(8));
        var salts = log.AsSpan(16, 8);
        var frames = 0;
        for (var at = 32; at + 24 + pageSize <= log.Length && log.AsSpan(at + 8, 8).SequenceEqual(salts); at += 24 + pageSize)
            frames++;
        return frames;
    }
}
