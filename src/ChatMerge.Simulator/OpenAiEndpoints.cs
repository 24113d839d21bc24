using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>OpenAI Chat Completions, model list and the error bodies shared with the Responses API.</summary>
internal static class OpenAiEndpoints
{
    public static async Task ChatCompletions(HttpContext ctx, SimulatorState state)
    {
        var (_, json) = await state.Receive(ctx, "openai");
        var key = Http.Bearer(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        if (json is null) { await BadRequest(ctx, "We could not parse the JSON body of your request."); return; }

        var root = json.RootElement;
        var input = new ChatInput
        {
            Model = root.Str("model") ?? "gpt-4o-mini",
            Stream = root.Bool("stream"),
            MaxTokens = root.Int("max_completion_tokens") ?? root.Int("max_tokens"),
        };
        foreach (var m in root.Prop("messages").EnumerateArrayOrEmpty())
        {
            var role = m.Str("role") ?? "user";
            var text = Http.Text(m.Prop("content"));
            input.TotalChars += text.Length;
            if (role is "system" or "developer") input.System = (input.System is null ? "" : input.System + "\n") + text;
            else input.Turns.Add((role == "user" ? "user" : "assistant", text));
        }
        var plan = Answers.Plan(input, state.Options);
        if (plan.Fault.IsBeforeStream()) { await FaultError(ctx, plan, key!, input.Model); return; }

        var id = Http.Id("chatcmpl-");
        var created = Http.Now;
        if (!input.Stream)
        {
            if (await NonStreaming.Fault(plan, ctx, state.Options, () => ServerError(ctx))) return;
            await Http.Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "chat.completion");
                w.WriteNumber("created", created);
                w.WriteString("model", input.Model);
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", plan.FullText);
                w.WriteNull("refusal");
                w.WriteStartArray("annotations"); w.WriteEndArray();
                w.WriteEndObject();
                w.WriteNull("logprobs");
                w.WriteString("finish_reason", FinishReason(plan));
                w.WriteEndObject();
                w.WriteEndArray();
                WriteUsage(w, plan);
                w.WriteString("service_tier", "default");
                w.WriteNull("system_fingerprint");
                w.WriteEndObject();
            });
            return;
        }

        var includeUsage = root.Prop("stream_options").Bool("include_usage");
        var sse = new Sse(ctx, splitCharacters: plan.Directives.SplitCharacters);
        await sse.Start();
        void Chunk(Utf8JsonWriter w, Action<Utf8JsonWriter>? delta, string? finish)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "chat.completion.chunk");
            w.WriteNumber("created", created);
            w.WriteString("model", input.Model);
            w.WriteString("service_tier", "default");
            w.WriteNull("system_fingerprint");
            w.WriteStartArray("choices");
            if (delta is not null)
            {
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                w.WriteStartObject("delta");
                delta(w);
                w.WriteEndObject();
                w.WriteNull("logprobs");
                if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (delta is null) WriteUsage(w, plan);
            else if (includeUsage) w.WriteNull("usage");
            w.WriteEndObject();
        }

        await sse.Event(null, w => Chunk(w, d => { d.WriteString("role", "assistant"); d.WriteString("content", ""); d.WriteNull("refusal"); }, null));
        if (plan.Fault == Fault.StallStart && !await Streaming.Stall(state.Options, ctx.RequestAborted)) return;
        var completed = await Streaming.Text(plan, state.Options, sse, ctx,
            text => sse.Event(null, w => Chunk(w, d => d.WriteString("content", text), null)),
            () => sse.Event(null, w => WriteError(w, "The server had an error while processing your request. Sorry about that!", "server_error", null)));
        if (!completed) return;
        await sse.Event(null, w => Chunk(w, _ => { }, FinishReason(plan)));
        if (includeUsage) await sse.Event(null, w => Chunk(w, null, null));
        await sse.RawEvent(null, "[DONE]");
    }

    static string FinishReason(Plan plan) => plan.Directives.Finish switch
    {
        "length" => "length",
        "filter" or "blocked" => "content_filter",
        _ => plan.HitMaxTokens ? "length" : "stop",
    };

    public static async Task Models(HttpContext ctx, SimulatorState state)
    {
        state.Record(ctx, "openai", "");
        var key = Http.Bearer(ctx);
        if (!state.IsValid(key)) { await AuthError(ctx, key); return; }
        await Http.Json(ctx, 200, w =>
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            // As OpenAI's list does, models that cannot chat among those that can.
            foreach (var id in new[] { "gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "o4-mini", "gpt-5-mini", "text-embedding-3-small", "whisper-1",
                         "tts-1", "dall-e-3", "gpt-image-1", "omni-moderation-latest", "gpt-4o-realtime-preview", "gpt-3.5-turbo-instruct" })
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", "model");
                w.WriteNumber("created", 1721172741);
                w.WriteString("owned_by", "system");
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    /// <summary>The real 401 echoes a masked key; the server under test must scrub it before anyone sees it.</summary>
    public static Task AuthError(HttpContext ctx, string? key) => key is null or ""
        ? Error(ctx, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", null)
        : Error(ctx, 401, $"Incorrect API key provided: {Mask(key)}. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");

    public static Task FaultError(HttpContext ctx, Plan plan, string key, string model)
    {
        switch (plan.Fault)
        {
            case Fault.Auth: return AuthError(ctx, key);
            case Fault.RateLimit:
                ctx.Response.Headers["retry-after"] = plan.Directives.RetryAfter.ToString();
                return Error(ctx, 429, $"Rate limit reached for {model} in organization org-sim on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 0s.", "requests", "rate_limit_exceeded");
            case Fault.Server: return ServerError(ctx);
            case Fault.ContextLength:
                return Error(ctx, 400, $"This model's maximum context length is {plan.ContextLimit} tokens. However, your messages resulted in {plan.InputTokens} tokens. Please reduce the length of the messages.", "invalid_request_error", "context_length_exceeded", "messages");
            default:
                ctx.Response.Headers["retry-after"] = "0";
                return Error(ctx, 503, "The server is overloaded or not ready yet.", "server_error", "service_unavailable");
        }
    }

    public static Task ServerError(HttpContext ctx)
    {
        ctx.Response.Headers["retry-after"] = "0";
        return Error(ctx, 500, "The server had an error while processing your request. Sorry about that!", "server_error", "server_error");
    }

    public static Task BadRequest(HttpContext ctx, string message) => Error(ctx, 400, message, "invalid_request_error", null);

    static Task Error(HttpContext ctx, int status, string message, string type, string? code, string? param = null) =>
        Http.Json(ctx, status, w => WriteError(w, message, type, code, param));

    static void WriteError(Utf8JsonWriter w, string message, string type, string? code, string? param = null)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param is null) w.WriteNull("param"); else w.WriteString("param", param);
        if (code is null) w.WriteNull("code"); else w.WriteString("code", code);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void WriteUsage(Utf8JsonWriter w, Plan plan)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", plan.InputTokens);
        w.WriteNumber("completion_tokens", plan.OutputTokens);
        w.WriteNumber("total_tokens", plan.InputTokens + plan.OutputTokens);
        w.WriteStartObject("prompt_tokens_details"); w.WriteNumber("cached_tokens", 0); w.WriteNumber("audio_tokens", 0); w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details"); w.WriteNumber("reasoning_tokens", 0); w.WriteNumber("audio_tokens", 0); w.WriteEndObject();
        w.WriteEndObject();
    }

    // Like the real message: a recognisable head and tail of the key, the middle starred out.
    static string Mask(string key) => key.Length <= 10 ? key : key[..6] + new string('*', Math.Min(20, key.Length - 10)) + key[^4..];

    public static IEnumerable<JsonElement> EnumerateArrayOrEmpty(this JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray() : [];
}
