using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>Anthropic Messages API and model list.</summary>
internal static class AnthropicEndpoints
{
    static readonly (string Id, string Name)[] ModelList =
        [("claude-sonnet-4-5", "Claude Sonnet 4.5"), ("claude-haiku-4-5", "Claude Haiku 4.5"), ("claude-opus-4-1", "Claude Opus 4.1")];

    // The 13.x SDK sends Bearer; the docs and older clients send x-api-key. Both are real, so both count.
    static string? Key(HttpContext ctx) =>
        ctx.Request.Headers["x-api-key"].ToString() is { Length: > 0 } k ? k : Http.Bearer(ctx);

    public static async Task Messages(HttpContext ctx, SimulatorState state)
    {
        var (_, json) = await state.Receive(ctx, "anthropic");
        var key = Key(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        if (json is null) { await Error(ctx, 400, "invalid_request_error", "There was an issue with the request body: not valid JSON"); return; }

        var root = json.RootElement;
        var input = new ChatInput
        {
            Model = root.Str("model") ?? "claude-sonnet-4-5",
            Stream = root.Bool("stream"),
            MaxTokens = root.Int("max_tokens"),
            // The SDK's default Adaptive mode sends "adaptive" when reasoning is asked for; Extended sends "enabled".
            WantsReasoning = root.Prop("thinking").Str("type") is "enabled" or "adaptive",
        };
        var system = root.Prop("system");
        if (system.ValueKind is JsonValueKind.String or JsonValueKind.Array)
        {
            input.System = Http.Text(system);
            input.TotalChars += input.System.Length;
        }
        var messageIndex = 0;
        var messages = root.Prop("messages").EnumerateArrayOrEmpty().ToList();
        foreach (var m in messages)
        {
            // Claude takes a system message inside messages only right before an assistant turn or at the end.
            if (m.Str("role") == "system" && messageIndex + 1 < messages.Count && messages[messageIndex + 1].Str("role") != "assistant")
            {
                await Error(ctx, 400, "invalid_request_error", $"messages.{messageIndex}: role 'system' must precede an 'assistant' message or end the array");
                return;
            }
            if (m.Str("role") == "assistant" && m.Prop("content").EnumerateArrayOrEmpty().LastOrDefault().Str("type") == "thinking")
            {
                await Error(ctx, 400, "invalid_request_error", $"messages.{messageIndex}: The final block in an assistant message cannot be `thinking`.");
                return;
            }
            if (ForgedThinking(m.Prop("content"), input.Model) is { } block)
            {
                await Error(ctx, 400, "invalid_request_error", $"messages.{messageIndex}.content.{block}: Invalid `signature` in `thinking` block");
                return;
            }
            var text = Http.Text(m.Prop("content"));
            input.TotalChars += text.Length;
            input.Turns.Add((m.Str("role") == "assistant" ? "assistant" : "user", text));
            messageIndex++;
        }

        var plan = Answers.Plan(input, state.Options);
        if (plan.Fault.IsBeforeStream()) { await FaultError(ctx, plan, key!); return; }

        var id = Http.Id("msg_");
        var signature = Signature(input.Model, plan.FullReasoning);
        var redactedData = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("redacted:" + id)));
        if (!input.Stream)
        {
            if (await NonStreaming.Fault(plan, ctx, state.Options, () => Error(ctx, 500, "api_error", "Internal server error"))) return;
            await Http.Json(ctx, 200, w =>
            {
                Message(w, id, input.Model, plan, done: true);
                w.WriteStartArray("content");
                if (plan.Reasoning.Count > 0)
                {
                    w.WriteStartObject(); w.WriteString("type", "thinking"); w.WriteString("thinking", plan.FullReasoning); w.WriteString("signature", signature); w.WriteEndObject();
                }
                if (plan.Directives.Redacted)
                {
                    w.WriteStartObject(); w.WriteString("type", "redacted_thinking"); w.WriteString("data", redactedData); w.WriteEndObject();
                }
                w.WriteStartObject(); w.WriteString("type", "text"); w.WriteString("text", plan.FullText); w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }

        var sse = new Sse(ctx, splitCharacters: plan.Directives.SplitCharacters);
        await sse.Start();
        ValueTask Send(string type, Action<Utf8JsonWriter> fields) => sse.Event(type, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            fields(w);
            w.WriteEndObject();
        });
        ValueTask Delta(int index, string type, string field, string value) => Send("content_block_delta", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("delta"); w.WriteString("type", type); w.WriteString(field, value); w.WriteEndObject();
        });
        ValueTask BlockStart(int index, Action<Utf8JsonWriter> block) => Send("content_block_start", w =>
        {
            w.WriteNumber("index", index);
            w.WriteStartObject("content_block"); block(w); w.WriteEndObject();
        });
        ValueTask BlockStop(int index) => Send("content_block_stop", w => w.WriteNumber("index", index));

        await Send("message_start", w => { w.WritePropertyName("message"); Message(w, id, input.Model, plan, done: false); w.WriteStartArray("content"); w.WriteEndArray(); w.WriteEndObject(); });
        await Send("ping", _ => { });
        if (plan.Fault == Fault.StallStart && !await Streaming.Stall(state.Options, ctx.RequestAborted)) return;

        var index = 0;
        if (plan.Reasoning.Count > 0)
        {
            await BlockStart(index, b => { b.WriteString("type", "thinking"); b.WriteString("thinking", ""); b.WriteString("signature", ""); });
            await Streaming.Chunks(plan, plan.Reasoning, ctx.RequestAborted, d => Delta(index, "thinking_delta", "thinking", d));
            await Delta(index, "signature_delta", "signature", signature);
            await BlockStop(index++);
        }
        if (plan.Directives.Redacted)
        {
            await BlockStart(index, b => { b.WriteString("type", "redacted_thinking"); b.WriteString("data", redactedData); });
            await BlockStop(index++);
        }
        await BlockStart(index, b => { b.WriteString("type", "text"); b.WriteString("text", ""); });
        var completed = await Streaming.Text(plan, state.Options, sse, ctx,
            d => Delta(index, "text_delta", "text", d),
            () => Send("error", w => { w.WriteStartObject("error"); w.WriteString("type", "overloaded_error"); w.WriteString("message", "Overloaded"); w.WriteEndObject(); }),
            "content_block_delta");
        if (!completed) return;
        await BlockStop(index);
        await Send("message_delta", w =>
        {
            w.WriteStartObject("delta"); w.WriteString("stop_reason", StopReason(plan)); w.WriteNull("stop_sequence"); w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", plan.InputTokens);
            w.WriteNumber("cache_creation_input_tokens", 0);
            w.WriteNumber("cache_read_input_tokens", 0);
            w.WriteNumber("output_tokens", plan.OutputTokens + plan.ReasoningTokens);
            w.WriteEndObject();
        });
        await Send("message_stop", _ => { });
        // Returning ends the body: the SDK reads to the end of it, not to message_stop.
    }

    static string StopReason(Plan plan) => plan.Directives.Finish switch
    {
        "length" => "max_tokens",
        "filter" or "blocked" => "refusal",
        _ => plan.HitMaxTokens ? "max_tokens" : "end_turn",
    };

    // Not a real signature, but one only this simulator issues for exactly this thinking text from this model:
    // like Claude's, a signature is bound to the model that wrote it.
    static string Signature(string model, string thinking) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"sig:{model}:{thinking}")));

    /// <summary>
    /// The index of a thinking block whose signature this simulator did not issue for its text and the request's
    /// model, as the real API refuses one (redacted thinking sent back as a thinking block, another model's
    /// thinking); null when there is none.
    /// </summary>
    static int? ForgedThinking(JsonElement content, string model)
    {
        var i = 0;
        foreach (var block in content.EnumerateArrayOrEmpty())
        {
            if (block.Str("type") == "thinking" && block.Str("signature") != Signature(model, block.Str("thinking") ?? ""))
                return i;
            i++;
        }
        return null;
    }

    public static async Task Models(HttpContext ctx, SimulatorState state)
    {
        state.Record(ctx, "anthropic", "");
        var key = Key(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        await Http.Json(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("data");
            foreach (var (id, name) in ModelList)
            {
                w.WriteStartObject();
                w.WriteString("type", "model");
                w.WriteString("id", id);
                w.WriteString("display_name", name);
                w.WriteString("created_at", "2025-09-29T00:00:00Z");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteBoolean("has_more", false);
            w.WriteString("first_id", ModelList[0].Id);
            w.WriteString("last_id", ModelList[^1].Id);
            w.WriteEndObject();
        });
    }

    // Leaves the object open so callers can add "content" where the real API puts it.
    static void Message(Utf8JsonWriter w, string id, string model, Plan plan, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", model);
        if (done) w.WriteString("stop_reason", StopReason(plan)); else w.WriteNull("stop_reason");
        w.WriteNull("stop_sequence");
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", plan.InputTokens);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteNumber("output_tokens", done ? plan.OutputTokens + plan.ReasoningTokens : 1);
        w.WriteEndObject();
    }

    /// <summary>Echoes the key on purpose: the server under test must scrub provider messages.</summary>
    static Task AuthError(HttpContext ctx, string? key) => key is null or ""
        ? Error(ctx, 401, "authentication_error", "x-api-key header is required")
        : Error(ctx, 401, "authentication_error", $"invalid x-api-key: {key}");

    static Task FaultError(HttpContext ctx, Plan plan, string key)
    {
        if (plan.Fault is Fault.RateLimit or Fault.Server or Fault.Unavailable or Fault.Overloaded)
            ctx.Response.Headers["retry-after"] = plan.Fault == Fault.RateLimit ? plan.Directives.RetryAfter.ToString() : "0";
        return plan.Fault switch
        {
            Fault.Auth => AuthError(ctx, key),
            Fault.RateLimit => Error(ctx, 429, "rate_limit_error", "This request would exceed the rate limit for your organization of 50 requests per minute."),
            Fault.Server => Error(ctx, 500, "api_error", "Internal server error"),
            Fault.Unavailable => Error(ctx, 503, "api_error", "Service unavailable"),
            Fault.Overloaded => Error(ctx, 529, "overloaded_error", "Overloaded"),
            _ => Error(ctx, 400, "invalid_request_error", $"prompt is too long: {plan.InputTokens} tokens > {plan.ContextLimit} maximum"),
        };
    }

    static Task Error(HttpContext ctx, int status, string type, string message)
    {
        var requestId = Http.Id("req_");
        ctx.Response.Headers["request-id"] = requestId;
        return Http.Json(ctx, status, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "error");
            w.WriteStartObject("error"); w.WriteString("type", type); w.WriteString("message", message); w.WriteEndObject();
            w.WriteString("request_id", requestId);
            w.WriteEndObject();
        });
    }
}
