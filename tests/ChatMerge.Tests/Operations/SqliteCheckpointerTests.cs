using ChatMerge.Data;
using ChatMerge.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatMerge.Tests.Operations;

/// <summary>SQLite's log is copied into the database in the background, never inside a request's commit.</summary>
public sealed class SqliteCheckpointerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string PostgresInstead = "PostgreSQL keeps its own write-ahead log.";

    [SqliteFact(PostgresInstead)]
    public async Task The_servers_connections_leave_checkpoints_to_the_background()
    {
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatMergeDbContext>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_autocheckpoint";
            Assert.Equal(0L, await command.ExecuteScalarAsync());
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    [SqliteFact(PostgresInstead)]
    public async Task Written_messages_reach_the_database_file_without_a_request_copying_them()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "checkpointed")).GetProperty("id").GetString()!);
        var file = new FileInfo(server.DatabasePath);
        var before = file.Length;

        // ~200 pages: far below SQLite's own threshold (1,000), so only the background copies them.
        await AppendAsync(chat, count: 50, size: 16 * 1024);

        await Eventually.GetAsync(() =>
        {
            file.Refresh();
            return Task.FromResult(file.Length > before + 100 * 4096 ? (long?)file.Length : null);
        });
    }

    [SqliteFact(PostgresInstead)]
    public async Task A_long_log_starts_over_while_writes_go_on()
    {
        var chat = Guid.Parse((await server.CreateChatAsync(title: "long log")).GetProperty("id").GetString()!);
        var log = server.DatabasePath + "-wal";
        var startedOverBefore = StartsOver(log);
        using var stop = new CancellationTokenSource();
        // Steady writes and short reads beside them, as under load: the log must still start over,
        // or it grows without end (our connections never checkpoint themselves).
        var writes = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await AppendAsync(chat, count: 1, size: 2 * 1024);
                await Task.Delay(1);
            }
        });
        var reads = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await using var reader = new SqliteConnection($"Data Source={server.DatabasePath};Pooling=False");
            await reader.OpenAsync();
            await using var read = reader.CreateCommand();
            read.CommandText = $"SELECT title FROM chats WHERE id = {server.Database.IdLiteral(chat.ToString())}";
            while (!stop.IsCancellationRequested)
            {
                await read.ExecuteScalarAsync();
                await Task.Delay(1);
            }
        })).ToList();
        try
        {
            // Up to 20 s, the log reaching 16 MB included on a busy machine; without a start-over the
            // log would pass 64 MB (the size it may keep) well before.
            for (var sample = 0; sample < 400 && StartsOver(log) == startedOverBefore && new FileInfo(log).Length < 64 << 20; sample++)
                await Task.Delay(50);
            Assert.NotEqual(startedOverBefore, StartsOver(log));
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll([writes, .. reads]);
        }
    }

    /// <summary>
    /// How often the log started over, from its header (the checkpoint sequence number, bytes 12–15,
    /// big-endian), read from the file: asking SQLite would itself copy the log.
    /// </summary>
    private static uint StartsOver(string log)
    {
        using var file = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[16];
        file.ReadExactly(header);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header[12..]);
    }

    private async Task AppendAsync(Guid chat, int count, int size)
    {
        var writer = server.Services.GetRequiredService<ChatMessages>();
        for (var i = 0; i < count; i++)
            await writer.AppendAsync(chat, [new Message { ChatId = chat, Role = "user", Content = new string((char)('a' + i % 26), size) }], default);
    }
}
