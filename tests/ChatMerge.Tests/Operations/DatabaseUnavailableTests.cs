using ChatMerge.Data;
using ChatMerge.Tests.Hardening;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatMerge.Tests.Operations;

/// <summary>A database that cannot be used is the operator's to fix: a 503 or one clear line at start, never a 500 or a stack trace.</summary>
public sealed class DatabaseUnavailableTests
{
    [Theory]
    [InlineData("57P01")] // terminating connection due to administrator command
    [InlineData("08006")] // connection failure
    [InlineData("28P01")] // password authentication failed
    [InlineData("3D000")] // database does not exist
    [InlineData("53300")] // too many connections
    public void PostgreSQL_refusing_or_losing_the_connection_is_unavailability(string sqlState) =>
        Assert.True(DataExtensions.IsUnavailable(new InvalidOperationException("wrapped", new PostgresException("gone", "FATAL", "FATAL", sqlState))));

    [Theory]
    [InlineData("42601")] // syntax error: ours
    [InlineData("23505")] // unique violation: ours to handle
    public void A_statement_PostgreSQL_refuses_is_not(string sqlState) =>
        Assert.False(DataExtensions.IsUnavailable(new PostgresException("bad", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void SQLite_busy_past_the_timeout_is_unavailability_and_a_constraint_is_not()
    {
        Assert.True(DataExtensions.IsUnavailable(new SqliteException("database is locked", 5)));
        Assert.False(DataExtensions.IsUnavailable(new SqliteException("constraint failed", 19)));
        Assert.False(DataExtensions.IsUnavailable(new InvalidOperationException("a bug")));
    }

    [Theory]
    [InlineData(13, "database or disk is full")]
    [InlineData(8, "attempt to write a readonly database")]
    [InlineData(10, "disk I/O error")]
    [InlineData(14, "unable to open database file")]
    public void A_full_or_read_only_SQLite_disk_is_unavailability(int code, string message)
    {
        // As EF Core throws them (a chat created on a full disk) and as the message writer does.
        Assert.True(DataExtensions.IsUnavailable(new Microsoft.EntityFrameworkCore.DbUpdateException("save failed", new SqliteException(message, code))));
        Assert.True(DataExtensions.IsUnavailable(new SqliteException(message, code)));
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_stops_the_start_with_one_line_that_says_why()
    {
        var directory = Path.Combine(Path.GetTempPath(), "chatmerge-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync(directory,
            [
                new("DATABASE_URL", "postgresql://chatmerge:pw-never-logged-4711@127.0.0.1:1/chatmerge"),
                new("CHATMERGE_KEY_RING_SECRET", Infrastructure.TestDatabase.KeyRingSecret),
            ]));

            Assert.Contains("The server exited with 1", failed.Message);
            // Written straight to stderr, as every start failure is: a logger's queue may be cut by the exit.
            Assert.Contains("ChatMerge cannot start: Cannot open the database of DATABASE_URL: Failed to connect to 127.0.0.1:1", failed.Message);
            Assert.DoesNotContain("pw-never-logged-4711", failed.Message);
            Assert.DoesNotContain("   at ", failed.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
