using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using ChatMerge.Chats;
using ChatMerge.Data;
using ChatMerge.Merge;
using Microsoft.EntityFrameworkCore;

namespace ChatMerge.Benchmarks.Load;

/// <summary>Database-heavy work at scale: listing, a long chat, persisting a merge, create/delete churn.</summary>
internal sealed class DataBenchmark(LoadSettings settings, HttpClient http, Uri server, BenchDatabase database)
{
    private Guid _longChat;
    private Guid[] _sources = [];

    /// <summary>Exactly <see cref="LoadSettings.ListChats"/> chats: a few messages each, one long chat and two merge sources.</summary>
    public async Task SeedAsync()
    {
        await database.DeleteAllChatsAsync();
        var start = DateTime.UtcNow.AddDays(-365);
        var special = new Dictionary<int, int> { [0] = settings.LongChatMessages, [1] = settings.MergeSourceMessages, [2] = settings.MergeSourceMessages };
        for (var done = 0; done < settings.ListChats; done += 1_000)
        {
            await using var db = database.Open();
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            for (var i = done; i < Math.Min(settings.ListChats, done + 1_000); i++)
            {
                var at = start.AddMinutes(i * 50);
                var count = special.GetValueOrDefault(i, 2 + i % 5);
                var chat = new Chat { Title = $"Chat {i}", Provider = "openai", Model = StreamClient.Model, CreatedAt = at, UpdatedAt = at, MessageCount = count };
                for (var m = 0; m < count; m++)
                    chat.Messages.Add(new Message
                    {
                        ChatId = chat.Id,
                        Role = m % 2 == 0 ? "user" : "assistant",
                        Content = SampleText.Paragraph(i + m, m % 2 == 0 ? 2 : 4),
                        ReasoningTrace = m % 2 == 0 ? null : SampleText.Paragraph(i + m + 1, 2),
                        CreatedAt = at.AddSeconds(m),
                    });
                db.Chats.Add(chat);
                if (i == 0) _longChat = chat.Id;
                if (i is 1 or 2) _sources = [.. _sources, chat.Id];
            }
            await db.SaveChangesAsync();
        }
    }

    /// <summary>GET /api/chats (all of them) end to end: the time until the last byte arrived.</summary>
    public Task<Stats> ListAsync() => TimeGetAsync("/api/chats", list => list.GetArrayLength(), settings.ListChats);

    public Task<Stats> LongChatAsync() =>
        TimeGetAsync($"/api/chats/{_longChat}", chat => chat.GetProperty("messages").GetArrayLength(), settings.LongChatMessages);

    /// <summary>GET /api/chats/{id}/messages of the long chat: the messages alone.</summary>
    public Task<Stats> LongChatMessagesAsync() =>
        TimeGetAsync($"/api/chats/{_longChat}/messages", messages => messages.GetArrayLength(), settings.LongChatMessages);

    /// <summary>Checks once that <paramref name="path"/> answers with the seeded number of items, then times it end to end.</summary>
    private async Task<Stats> TimeGetAsync(string path, Func<JsonElement, int> count, int expected)
    {
        var found = count(await http.GetFromJsonAsync<JsonElement>(new Uri(server, path)));
        if (found != expected)
            throw new InvalidOperationException($"GET {path} answered with {found} items, not {expected}.");
        return await TimeAsync(() => http.GetByteArrayAsync(new Uri(server, path)));
    }

    /// <summary>The list through EF Core, in this process: the path on PostgreSQL (SQLite streams its rows to JSON).</summary>
    public Task<Stats> ListQueryAsync() => TimeAsync(async () =>
    {
        await using var db = database.Open();
        return (await ChatQueries.ListAsync(db, null, 0, default)).Count;
    });

    /// <summary>The long chat through EF Core, in this process: the path on PostgreSQL.</summary>
    public Task<Stats> LongChatQueryAsync() => TimeAsync(async () =>
    {
        await using var db = database.Open();
        return (await ChatQueries.DetailAsync(db, _longChat, default))!.MessageCount;
    });

    /// <summary>Reading the two source chats, as the merge does before it calls the model.</summary>
    public Task<Stats> LoadSourcesAsync() => TimeAsync(async () =>
    {
        await using var db = database.Open();
        var messages = await db.Messages.AsNoTracking().Where(m => _sources.Contains(m.ChatId))
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).ToListAsync();
        return messages.Count;
    });

    /// <summary>
    /// Concatenate mode: the new chat, a copy of every source message in time order, a bridging message and
    /// the MergeHistory row, stored by the merge's own code (<see cref="MergeStore.SaveAsync"/>) on a fresh context.
    /// </summary>
    public async Task<Stats> PersistConcatenateAsync()
    {
        List<Message> sourceMessages;
        await using (var db = database.Open())
            sourceMessages = await db.Messages.AsNoTracking().Where(m => _sources.Contains(m.ChatId)).OrderBy(m => m.CreatedAt).ToListAsync();
        return await PersistAsync("concatenate", sourceMessages
            .Select(m => new MergedMessage(m.Role, m.Content, m.ReasoningTrace, m.Provider, m.Model))
            .Append(new MergedMessage("assistant", "These conversations were joined; ask about any of them.", null))
            .ToList());
    }

    /// <summary>A synthesized merge of the same size: the turns the parser reads from the model's answer.</summary>
    public async Task<Stats> PersistSynthesizedAsync()
    {
        var parsed = MergeTranscriptParser.Parse(MergeTranscript.Render(SampleText.Turns(2 * settings.MergeSourceMessages)));
        return await PersistAsync("synthesize", parsed.Turns
            .Select(t => t.Role == TurnRole.User
                ? new MergedMessage("user", t.Content, t.Reasoning)
                : new MergedMessage("assistant", t.Content, t.Reasoning, "openai", StreamClient.Model))
            .ToList());
    }

    /// <summary>POST a chat then DELETE it, by <paramref name="workers"/> clients at once; the time of each request.</summary>
    public async Task<(Stats Create, Stats Delete, double OpsPerSecond, int Errors)> ChurnAsync(int workers)
    {
        var creates = new List<double>();
        var deletes = new List<double>();
        var errors = 0;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            for (var i = 0; i < settings.ChurnOperations / workers; i++)
            {
                var t = Stopwatch.GetTimestamp();
                using var created = await http.PostAsJsonAsync(new Uri(server, "/api/chats"), new { provider = "openai", model = StreamClient.Model, title = "churn" });
                var createMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!created.IsSuccessStatusCode) { Interlocked.Increment(ref errors); continue; }
                var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
                t = Stopwatch.GetTimestamp();
                using var deleted = await http.DeleteAsync(new Uri(server, $"/api/chats/{id}"));
                var deleteMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!deleted.IsSuccessStatusCode) Interlocked.Increment(ref errors);
                lock (creates) { creates.Add(createMs); deletes.Add(deleteMs); }
            }
        }));
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (Stats.Of(creates), Stats.Of(deletes), 2.0 * creates.Count / seconds, errors);
    }

    private async Task<Stats> PersistAsync(string mode, List<MergedMessage> messages)
    {
        List<Chat> sources;
        await using (var db = database.Open())
            sources = await db.Chats.AsNoTracking().Where(c => _sources.Contains(c.Id)).OrderBy(c => c.Title).ToListAsync();
        var job = new MergeJob(sources, "openai", StreamClient.Model, ApiKey: "", mode, Instructions: null, Title: null);
        var merged = new List<Guid>();
        var stats = await TimeAsync(async () =>
        {
            await using var db = database.Open();
            merged.Add((await MergeStore.SaveAsync(db, job, messages, default)).Id);
            return 0;
        });
        await using (var db = database.Open())
            await db.Chats.Where(c => merged.Contains(c.Id)).ExecuteDeleteAsync();
        return stats;
    }

    /// <summary>Three untimed warm-up runs, then <see cref="LoadSettings.DataRepeats"/> timed ones.</summary>
    private async Task<Stats> TimeAsync<T>(Func<Task<T>> action)
    {
        for (var i = 0; i < 3; i++)
            await action();
        var times = new List<double>();
        for (var i = 0; i < settings.DataRepeats; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return Stats.Of(times);
    }
}
