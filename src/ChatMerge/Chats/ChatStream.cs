using System.Data;
using System.Text;
using System.Text.Json;
using ChatMerge.Data;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace ChatMerge.Chats;

/// <summary>
/// A chat written while its messages are read, one at a time, all in one snapshot: the export, and on
/// PostgreSQL <c>GET /api/chats/{id}</c> and its messages (SQLite has <see cref="SqliteChatDetail"/>).
/// A chat can hold more text than the server has memory (a message may have a million characters);
/// built whole, a chat of 200 such messages took 1.4 GB to export.
/// </summary>
internal sealed class ChatStream(ChatMergeDbContext db, Guid chatId, ChatStream.Kind kind) : IResult
{
    public enum Kind
    {
        /// <summary>The body of <c>GET /api/chats/{id}</c>.</summary>
        Detail,
        /// <summary>The body of <c>GET /api/chats/{id}/messages</c>.</summary>
        Messages,
        MarkdownFile,
        JsonFile,
    }

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
        var messages = ChatQueries.ReadMessages(db, chatId);
        if (kind == Kind.Messages)
        {
            await WriteJsonAsync(context, chat: null, messages, cancellationToken);
            return;
        }
        var lineage = await ChatQueries.LineageAsync(db, chatId, cancellationToken);
        var count = await ChatQueries.CountMessagesAsync(db, chatId, cancellationToken);
        if (kind is Kind.MarkdownFile or Kind.JsonFile)
        {
            var disposition = new ContentDispositionHeaderValue("attachment");
            disposition.SetHttpFileName(ChatExport.FileName(chat.Title, kind == Kind.JsonFile ? ChatExport.Json : ChatExport.Markdown));
            context.Response.Headers.ContentDisposition = disposition.ToString();
        }
        if (kind == Kind.MarkdownFile)
            await WriteMarkdownAsync(context, chat, count, lineage, messages, cancellationToken);
        else
            await WriteJsonAsync(context, (chat, count, lineage), messages, cancellationToken);
    }

    /// <summary>
    /// A transaction that only reads, so that the count and the messages agree. On SQLite a plain BEGIN: a
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

    /// <summary>
    /// The chat with its messages, or only the messages when <paramref name="chat"/> is null: the bytes
    /// that serializing a <see cref="ChatDetail"/> or the messages' list writes.
    /// </summary>
    private static async Task WriteJsonAsync(HttpContext context, (Chat Chat, int Count, MergeLineage? Lineage)? chat,
        IAsyncEnumerable<MessageResponse> messages, CancellationToken cancellationToken)
    {
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        await using var writer = SqliteRows.StartJson(context, json);
        if (chat is var (c, count, _))
            SqliteRows.WriteChatHead(writer, c, count);
        writer.WriteStartArray();
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
        if (chat is { Lineage: var lineage })
        {
            writer.WritePropertyName(SqliteRows.Names.MergedFrom);
            JsonSerializer.Serialize(writer, lineage, json);
            writer.WriteEndObject();
        }
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
