using ChatMerge.Chats;
using ChatMerge.Completions;
using ChatMerge.Data;
using ChatMerge.Hosting;
using ChatMerge.Keys;
using ChatMerge.Models;
using ChatMerge.Providers;
using Scalar.AspNetCore;

DotEnv.Load(".env");
// appsettings.json comes with the binaries; data files and .env belong to the working directory.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

// Hosting: addresses, JSON, errors, validation, OpenAPI, CORS
builder.AddServerUrls();
builder.AddApiDefaults();

// Security: protected mode or API tokens, trusted proxies, per-client rate limits
builder.AddAccessControl();
builder.AddRateLimits();

// Features
builder.AddData();
builder.AddKeys();
builder.AddProviders();
builder.Services.AddSingleton<CompletionStreamer>();

var app = builder.Build();
await app.Services.MigrateDatabaseAsync();

app.UseApiDefaults();

app.MapGet("/health", () => TypedResults.Ok(new { status = "ok" })).WithTags("Health");
app.MapChats();
app.MapApiKeys();
app.MapModels();
app.MapCompletions();

app.MapOpenApi();
app.MapScalarApiReference("/docs");

app.Run();

public partial class Program;
