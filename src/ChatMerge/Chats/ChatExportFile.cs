using System.Data;
using System.Text;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using static ChatMerge.Chats.SqliteRows;

namespace ChatMerge.Chats;

/// <summary>
/// <c>GET /api/chats/{id}/export</c>: the file is written while its messages are read, one at a time,
/// all in one snapshot. A chat can hold more text than the server has memory (a message may have a
/// million characters); built whole, a chat of 200 such messages took 1.4 GB to export.
/// </summary>
internal sealed class ChatExportFile(ChatMergeDbContext db, Guid chatId, string format) : IResult
{
    private const int FlushBytes = 32 * 1024;

    public async Task ExecuteAsync(HttpContext context)
    {
        var cancellationToken = context.RequestAborted;
        await using var open = await db.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await SnapshotAsync(cancellationToken);
        var chat = await ChatQueries.FindAsync(db, chatId, cancellationToken);
        if (chat is null)
        {
            await ChatQueries.ChatNotFound(chatId).ExecuteAsync(context);
            return;
        }
        var lineage = await ChatQueries.LineageAsync(db, chatId, cancellationToken);
        var count = await ChatQueries.CountMessagesAsync(db, chatId, cancellationToken);

        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(ChatExport.FileName(chat.Title, format));
        context.Response.Headers.ContentDisposition = disposition.ToString();
        var messages = ChatQueries.ReadMessages(db, chatId);
        if (format == ChatExport.Json)
            await WriteJsonAsync(context, chat, count, lineage, messages, cancellationToken);
        else
            await WriteMarkdownAsync(context, chat, count, lineage, messages, cancellationToken);
    }

    /// <summary>
    /// A read-only transaction, so that the count and the messages agree. On SQLite a plain BEGIN: a
    /// transaction of Microsoft.Data.Sqlite would take the write lock for as long as the download lasts.
    /// </summary>
    private async Task<IAsyncDisposable> SnapshotAsync(CancellationToken cancellationToken) =>
        db is SqliteChatMergeDbContext
            ? new SqliteSnapshot(SqliteRows.BeginSnapshot(SqliteRows.Handle(db)))
            : await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

    private sealed class SqliteSnapshot(SqliteRows.Snapshot snapshot) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            snapshot.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The bytes of <c>GET /api/chats/{id}</c>, as <see cref="SqliteChatDetail"/> writes them.</summary>
    private static async Task WriteJsonAsync(HttpContext context, Chat chat, int count, MergeLineage? lineage,
        IAsyncEnumerable<MessageResponse> messages, CancellationToken cancellationToken)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var writer = SqliteRows.StartJson(context, json);
        writer.WriteStartObject();
        writer.WriteString(Names.Id, chat.Id);
        writer.WriteString(Names.Title, chat.Title);
        writer.WriteString(Names.Provider, chat.Provider);
        writer.WriteString(Names.Model, chat.Model);
        writer.WriteString(Names.SystemPrompt, chat.SystemPrompt);
        writer.WriteString(Names.CreatedAt, chat.CreatedAt);
        writer.WriteString(Names.UpdatedAt, chat.UpdatedAt);
        writer.WriteNumber(Names.MessageCount, count);
        writer.WriteStartArray(Names.Messages);
        // The serializer commits what it wrote to the response's pipe, which keeps it until flushed.
        long flushed = 0;
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            JsonSerializer.Serialize(writer, message, json);
            if (writer.BytesCommitted + writer.BytesPending - flushed < FlushBytes)
                continue;
            writer.Flush();
            await context.Response.BodyWriter.FlushAsync(cancellationToken);
            flushed = writer.BytesCommitted;
        }
        writer.WriteEndArray();
        writer.WritePropertyName(Names.MergedFrom);
        JsonSerializer.Serialize(writer, lineage, json);
        writer.WriteEndObject();
    }

    private static async Task WriteMarkdownAsync(HttpContext context, Chat chat, int count, MergeLineage? lineage,
        IAsyncEnumerable<MessageResponse> messages, CancellationToken cancellationToken)
    {
        context.Response.ContentType = "text/markdown; charset=utf-8";
        await using var body = new StreamWriter(context.Response.Body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), FlushBytes, leaveOpen: true);
        var md = new StringBuilder();
        ChatExport.AppendHeader(md, chat, count, lineage);
        await body.WriteAsync(md, cancellationToken);
        await foreach (var message in messages.WithCancellation(cancellationToken))
        {
            md.Clear();
            ChatExport.AppendMessage(md, message);
            await body.WriteAsync(md, cancellationToken);
        }
    }
}
