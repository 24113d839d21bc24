using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>Gemini's native REST API (generateContent / streamGenerateContent) and model list.</summary>
internal static class GeminiEndpoints
{
    static readonly string[] ModelIds = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"];

    static string? Key(HttpContext ctx) =>
        ctx.Request.Headers["x-goog-api-key"].ToString() is { Length: > 0 } k ? k : ctx.Request.Query["key"].ToString() is { Length: > 0 } q ? q : null;

    public static async Task Generate(HttpContext ctx, SimulatorState state)
    {
        var (_, json) = await state.Receive(ctx, "gemini");
        var rest = (string?)ctx.Request.RouteValues["rest"] ?? "";
        var colon = rest.LastIndexOf(':');
        var model = colon < 0 ? rest : rest[..colon];
        var method = colon < 0 ? "" : rest[(colon + 1)..];
        var key = Key(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        if (method is not ("generateContent" or "streamGenerateContent"))
        {
            await Error(ctx, 404, "NOT_FOUND", $"models/{model} is not found for API version v1beta, or is not supported for {method}.");
            return;
        }
        if (json is null) { await Error(ctx, 400, "INVALID_ARGUMENT", "Invalid JSON payload received."); return; }

        var root = json.RootElement;
        var input = new ChatInput
        {
            Model = model,
            Stream = method == "streamGenerateContent",
            WantsReasoning = root.Prop("generationConfig").Prop("thinkingConfig").Bool("includeThoughts"),
            MaxTokens = root.Prop("generationConfig").Int("maxOutputTokens"),
        };
        if (root.Prop("systemInstruction").Prop("parts") is { ValueKind: JsonValueKind.Array } sys)
        {
            input.System = Http.Text(sys);
            input.TotalChars += input.System.Length;
        }
        string? lastRole = null;
        foreach (var c in root.Prop("contents").EnumerateArrayOrEmpty())
        {
            // Like Gemini: two turns of one role in a row are refused.
            if (c.Str("role") == lastRole)
            {
                await Error(ctx, 400, "INVALID_ARGUMENT", "Please ensure that multiturn requests alternate between user and model.");
                return;
            }
            lastRole = c.Str("role");
            if (lastRole == "model")
            {
                var text = Http.Text(c.Prop("parts"));
                input.TotalChars += text.Length;
                input.Turns.Add(("assistant", text));
                continue;
            }
            // A user turn holds several messages when they came in a row: each text part is one, the last one is the last message.
            foreach (var part in c.Prop("parts").EnumerateArrayOrEmpty())
            {
                if (part.Str("text") is not { } text) continue;
                input.TotalChars += text.Length;
                input.Turns.Add(("user", text));
            }
        }

        var plan = Answers.Plan(input, state.Options);
        if (plan.Fault.IsBeforeStream()) { await FaultError(ctx, plan); return; }
        var responseId = Http.Id("gem");
        // Gemini 3 signs its thinking: the first part of the answer carries the signature, to be sent back with it.
        var signature = model.StartsWith("gemini-3", StringComparison.Ordinal) && plan.Reasoning.Count > 0
            ? Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"thought:{model}:{plan.FullReasoning}")))
            : null;
        var sse = ctx.Request.Query["alt"] == "sse";
        var blocked = plan.Directives.Finish == "blocked";
        if (!input.Stream || !sse)
        {
            if (await NonStreaming.Fault(plan, ctx, state.Options, () => Error(ctx, 500, "INTERNAL", "An internal error has occurred."))) return;
            await Http.Json(ctx, 200, w =>
            {
                // Without alt=sse, streamGenerateContent answers one JSON array of responses.
                if (input.Stream) w.WriteStartArray();
                if (blocked) Blocked(w, plan, model, responseId);
                else Chunk(w, plan, model, responseId, plan.FullReasoning, plan.FullText, final: true, signature);
                if (input.Stream) w.WriteEndArray();
            });
            return;
        }

        var events = new Sse(ctx, crlf: true, splitCharacters: plan.Directives.SplitCharacters);
        await events.Start();
        if (blocked)
        {
            await events.Event(null, w => Blocked(w, plan, model, responseId));
            return;
        }
        if (plan.Fault == Fault.StallStart && !await Streaming.Stall(state.Options, ctx.RequestAborted)) return;
        await Streaming.Chunks(plan, plan.Reasoning, ctx.RequestAborted,
            d => events.Event(null, w => Chunk(w, plan, model, responseId, d, null, final: false)));
        string? Sign() { var s = signature; signature = null; return s; }
        var completed = await Streaming.Text(plan, state.Options, events, ctx,
            d => { var s = Sign(); return events.Event(null, w => Chunk(w, plan, model, responseId, null, d, final: false, s)); },
            () => events.Event(null, w => ErrorBody(w, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.")));
        if (!completed) return;
        // With no text at all, the signature rides on the last, empty part.
        var last = Sign();
        await events.Event(null, w => Chunk(w, plan, model, responseId, null, "", final: true, last));
    }

    static void Chunk(Utf8JsonWriter w, Plan plan, string model, string responseId, string? thought, string? text, bool final, string? signature = null)
    {
        w.WriteStartObject();
        w.WriteStartArray("candidates");
        w.WriteStartObject();
        w.WriteStartObject("content");
        w.WriteStartArray("parts");
        if (thought is { Length: > 0 }) { w.WriteStartObject(); w.WriteString("text", thought); w.WriteBoolean("thought", true); w.WriteEndObject(); }
        if (text is not null)
        {
            w.WriteStartObject(); w.WriteString("text", text);
            if (signature is not null) w.WriteString("thoughtSignature", signature);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString("role", "model");
        w.WriteEndObject();
        if (final) w.WriteString("finishReason", plan.Directives.Finish switch
        {
            "length" => "MAX_TOKENS",
            "filter" => "SAFETY",
            _ => plan.HitMaxTokens ? "MAX_TOKENS" : "STOP",
        });
        w.WriteNumber("index", 0);
        w.WriteEndObject();
        w.WriteEndArray();
        if (final)
        {
            w.WriteStartObject("usageMetadata");
            w.WriteNumber("promptTokenCount", plan.InputTokens);
            w.WriteNumber("candidatesTokenCount", plan.OutputTokens);
            if (plan.ReasoningTokens > 0) w.WriteNumber("thoughtsTokenCount", plan.ReasoningTokens);
            w.WriteNumber("totalTokenCount", plan.InputTokens + plan.OutputTokens + plan.ReasoningTokens);
            w.WriteEndObject();
        }
        w.WriteString("modelVersion", model);
        w.WriteString("responseId", responseId);
        w.WriteEndObject();
    }

    /// <summary>A refused prompt: no candidates at all, only the feedback saying why.</summary>
    static void Blocked(Utf8JsonWriter w, Plan plan, string model, string responseId)
    {
        w.WriteStartObject();
        w.WriteStartObject("promptFeedback"); w.WriteString("blockReason", "SAFETY"); w.WriteEndObject();
        w.WriteStartObject("usageMetadata");
        w.WriteNumber("promptTokenCount", plan.InputTokens);
        w.WriteNumber("totalTokenCount", plan.InputTokens);
        w.WriteEndObject();
        w.WriteString("modelVersion", model);
        w.WriteString("responseId", responseId);
        w.WriteEndObject();
    }

    public static async Task Models(HttpContext ctx, SimulatorState state)
    {
        state.Record(ctx, "gemini", "");
        var key = Key(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        await Http.Json(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("models");
            foreach (var id in ModelIds)
            {
                w.WriteStartObject();
                w.WriteString("name", "models/" + id);
                w.WriteString("version", "001");
                w.WriteString("displayName", "Gemini " + id["gemini-".Length..].Replace('-', ' '));
                w.WriteNumber("inputTokenLimit", 1048576);
                w.WriteNumber("outputTokenLimit", 65536);
                w.WriteStartArray("supportedGenerationMethods");
                w.WriteStringValue("generateContent"); w.WriteStringValue("countTokens");
                w.WriteEndArray();
                w.WriteBoolean("thinking", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    // A bad key is 400 INVALID_ARGUMENT here, not 401: clients must not rely on the status alone.
    static Task AuthError(HttpContext ctx, string? key) => key is null
        ? Error(ctx, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")
        : Error(ctx, 400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", w =>
        {
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.ErrorInfo");
            w.WriteString("reason", "API_KEY_INVALID");
            w.WriteString("domain", "googleapis.com");
            w.WriteStartObject("metadata"); w.WriteString("service", "generativelanguage.googleapis.com"); w.WriteEndObject();
            w.WriteEndObject();
        });

    static Task FaultError(HttpContext ctx, Plan plan) => plan.Fault switch
    {
        Fault.Auth => AuthError(ctx, ""),
        Fault.RateLimit => Error(ctx, 429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", w =>
        {
            w.WriteStartObject();
            w.WriteString("@type", "type.googleapis.com/google.rpc.RetryInfo");
            w.WriteString("retryDelay", $"{plan.Directives.RetryAfter}s");
            w.WriteEndObject();
        }),
        Fault.Server => Error(ctx, 500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"),
        Fault.ContextLength => Error(ctx, 400, "INVALID_ARGUMENT", $"The input token count ({plan.InputTokens}) exceeds the maximum number of tokens allowed ({plan.ContextLimit})."),
        _ => Error(ctx, 503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    };

    static Task Error(HttpContext ctx, int status, string code, string message, Action<Utf8JsonWriter>? detail = null) =>
        Http.Json(ctx, status, w => ErrorBody(w, status, code, message, detail));

    static void ErrorBody(Utf8JsonWriter w, int status, string code, string message, Action<Utf8JsonWriter>? detail = null)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteNumber("code", status);
        w.WriteString("message", message);
        w.WriteString("status", code);
        if (detail is not null) { w.WriteStartArray("details"); detail(w); w.WriteEndArray(); }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
