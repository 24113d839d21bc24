using System.Text.Json;

namespace ChatMerge.Simulator;

/// <summary>OpenAI Responses API: the only OpenAI protocol that streams reasoning (as summaries).</summary>
internal static class OpenAiResponses
{
    public static async Task Create(HttpContext ctx, SimulatorState state)
    {
        var (_, json) = await state.Receive(ctx, "openai");
        var key = Http.Bearer(ctx);
        if (!state.IsValid(key)) { await OpenAiEndpoints.AuthError(ctx, key); return; }
        if (json is null) { await OpenAiEndpoints.BadRequest(ctx, "We could not parse the JSON body of your request."); return; }

        var root = json.RootElement;
        var reasoning = root.Prop("reasoning");
        var input = new ChatInput
        {
            Model = root.Str("model") ?? "gpt-4o-mini",
            Stream = root.Bool("stream"),
            WantsReasoning = reasoning.Str("summary") is { } summary && summary != "none",
        };
        if (root.Str("instructions") is { } instructions) { input.System = instructions; input.TotalChars += instructions.Length; }
        var items = root.Prop("input");
        if (items.ValueKind == JsonValueKind.String)
        {
            var text = items.GetString() ?? "";
            input.TotalChars += text.Length;
            input.Turns.Add(("user", text));
        }
        foreach (var item in items.EnumerateArrayOrEmpty())
        {
            if (item.Str("role") is not { } role) continue; // reasoning, tool calls: not messages
            var text = Http.Text(item.Prop("content"));
            input.TotalChars += text.Length;
            if (role is "system" or "developer") input.System = (input.System is null ? "" : input.System + "\n") + text;
            else input.Turns.Add((role == "user" ? "user" : "assistant", text));
        }

        var plan = Answers.Plan(input, state.Options);
        if (plan.Fault.IsBeforeStream()) { await OpenAiEndpoints.FaultError(ctx, plan, key!, input.Model); return; }

        var r = new Ids(Http.Id("resp_"), Http.Id("rs_"), Http.Id("msg_"), Http.Now, input.Model, reasoning);
        if (!input.Stream)
        {
            if (await NonStreaming.Fault(plan, ctx, state.Options, () => OpenAiEndpoints.ServerError(ctx))) return;
            await Http.Json(ctx, 200, w => Response(w, r, plan, Status(plan), root: true));
            return;
        }

        var sse = new Sse(ctx, splitCharacters: plan.Directives.SplitCharacters);
        await sse.Start();
        var seq = 0;
        ValueTask Send(string type, Action<Utf8JsonWriter> fields) => sse.Event(type, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteNumber("sequence_number", seq++);
            fields(w);
            w.WriteEndObject();
        });

        await Send("response.created", w => Response(w, r, plan, "in_progress"));
        await Send("response.in_progress", w => Response(w, r, plan, "in_progress"));
        if (plan.Fault == Fault.StallStart && !await Streaming.Stall(state.Options, ctx.RequestAborted)) return;
        var index = 0;
        if (plan.Reasoning.Count > 0)
        {
            await Send("response.output_item.added", w => { w.WriteNumber("output_index", 0); w.WritePropertyName("item"); ReasoningItem(w, r, plan, false); });
            await Send("response.reasoning_summary_part.added", w => { SummaryHead(w, r); SummaryPart(w, ""); });
            await Streaming.Chunks(plan, plan.Reasoning, ctx.RequestAborted,
                d => Send("response.reasoning_summary_text.delta", w => { SummaryHead(w, r); w.WriteString("delta", d); }));
            await Send("response.reasoning_summary_text.done", w => { SummaryHead(w, r); w.WriteString("text", plan.FullReasoning); });
            await Send("response.reasoning_summary_part.done", w => { SummaryHead(w, r); SummaryPart(w, plan.FullReasoning); });
            await Send("response.output_item.done", w => { w.WriteNumber("output_index", 0); w.WritePropertyName("item"); ReasoningItem(w, r, plan, true); });
            index = 1;
        }

        void TextHead(Utf8JsonWriter w) { w.WriteString("item_id", r.Message); w.WriteNumber("output_index", index); w.WriteNumber("content_index", 0); }
        await Send("response.output_item.added", w => { w.WriteNumber("output_index", index); w.WritePropertyName("item"); MessageItem(w, r, plan, false); });
        await Send("response.content_part.added", w => { TextHead(w); w.WritePropertyName("part"); TextPart(w, ""); });
        var completed = await Streaming.Text(plan, state.Options, sse, ctx,
            d => Send("response.output_text.delta", w => { TextHead(w); w.WriteString("delta", d); w.WriteStartArray("logprobs"); w.WriteEndArray(); }),
            async () =>
            {
                await Send("error", w => { w.WriteString("code", "server_error"); w.WriteString("message", "The server had an error while processing your request. Sorry about that!"); w.WriteNull("param"); });
                await Send("response.failed", w => Response(w, r, plan, "failed"));
            },
            "response.output_text.delta");
        if (!completed) return;
        await Send("response.output_text.done", w => { TextHead(w); w.WriteString("text", plan.FullText); w.WriteStartArray("logprobs"); w.WriteEndArray(); });
        await Send("response.content_part.done", w => { TextHead(w); w.WritePropertyName("part"); TextPart(w, plan.FullText); });
        await Send("response.output_item.done", w => { w.WriteNumber("output_index", index); w.WritePropertyName("item"); MessageItem(w, r, plan, true); });
        // An answer cut short ends with response.incomplete, not response.completed.
        await Send($"response.{Status(plan)}", w => Response(w, r, plan, Status(plan)));
    }

    static string Status(Plan plan) => plan.Directives.Finish == "stop" ? "completed" : "incomplete";

    sealed record Ids(string Response, string Reasoning, string Message, long Created, string Model, JsonElement ReasoningOptions);

    static void Response(Utf8JsonWriter w, Ids r, Plan plan, string status, bool root = false)
    {
        if (root) w.WriteStartObject(); else w.WriteStartObject("response");
        w.WriteString("id", r.Response);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", r.Created);
        w.WriteString("status", status);
        w.WriteBoolean("background", false);
        if (status == "failed")
        {
            w.WriteStartObject("error");
            w.WriteString("code", "server_error");
            w.WriteString("message", "The server had an error while processing your request. Sorry about that!");
            w.WriteEndObject();
        }
        else w.WriteNull("error");
        if (status == "incomplete")
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", plan.Directives.Finish == "length" ? "max_output_tokens" : "content_filter");
            w.WriteEndObject();
        }
        else w.WriteNull("incomplete_details");
        w.WriteNull("instructions");
        w.WriteNull("max_output_tokens");
        w.WriteString("model", r.Model);
        w.WriteStartArray("output");
        if (status is "completed" or "incomplete")
        {
            if (plan.Reasoning.Count > 0) ReasoningItem(w, r, plan, true);
            MessageItem(w, r, plan, true);
        }
        w.WriteEndArray();
        w.WriteBoolean("parallel_tool_calls", true);
        w.WriteNull("previous_response_id");
        w.WritePropertyName("reasoning");
        if (r.ReasoningOptions.ValueKind == JsonValueKind.Object) r.ReasoningOptions.WriteTo(w);
        else { w.WriteStartObject(); w.WriteNull("effort"); w.WriteNull("summary"); w.WriteEndObject(); }
        w.WriteBoolean("store", false);
        w.WriteNumber("temperature", 1.0);
        w.WriteStartObject("text"); w.WriteStartObject("format"); w.WriteString("type", "text"); w.WriteEndObject(); w.WriteEndObject();
        w.WriteString("tool_choice", "auto");
        w.WriteStartArray("tools"); w.WriteEndArray();
        w.WriteNumber("top_p", 1.0);
        w.WriteString("truncation", "disabled");
        if (status is "completed" or "incomplete")
        {
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", plan.InputTokens);
            w.WriteStartObject("input_tokens_details"); w.WriteNumber("cached_tokens", 0); w.WriteEndObject();
            w.WriteNumber("output_tokens", plan.OutputTokens + plan.ReasoningTokens);
            w.WriteStartObject("output_tokens_details"); w.WriteNumber("reasoning_tokens", plan.ReasoningTokens); w.WriteEndObject();
            w.WriteNumber("total_tokens", plan.InputTokens + plan.OutputTokens + plan.ReasoningTokens);
            w.WriteEndObject();
        }
        else w.WriteNull("usage");
        w.WriteNull("user");
        w.WriteStartObject("metadata"); w.WriteEndObject();
        w.WriteEndObject();
    }

    static void ReasoningItem(Utf8JsonWriter w, Ids r, Plan plan, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Reasoning);
        w.WriteString("type", "reasoning");
        w.WriteStartArray("summary");
        if (done) SummaryPart(w, plan.FullReasoning, named: false);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    static void MessageItem(Utf8JsonWriter w, Ids r, Plan plan, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", r.Message);
        w.WriteString("type", "message");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteStartArray("content");
        if (done) TextPart(w, plan.FullText, named: false);
        w.WriteEndArray();
        w.WriteString("role", "assistant");
        w.WriteEndObject();
    }

    static void SummaryHead(Utf8JsonWriter w, Ids r)
    {
        w.WriteString("item_id", r.Reasoning);
        w.WriteNumber("output_index", 0);
        w.WriteNumber("summary_index", 0);
    }

    static void SummaryPart(Utf8JsonWriter w, string text, bool named = true)
    {
        if (named) w.WriteStartObject("part"); else w.WriteStartObject();
        w.WriteString("type", "summary_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    static void TextPart(Utf8JsonWriter w, string text, bool named = false)
    {
        if (named) w.WriteStartObject("part"); else w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteStartArray("annotations"); w.WriteEndArray();
        w.WriteStartArray("logprobs"); w.WriteEndArray();
        w.WriteString("text", text);
        w.WriteEndObject();
    }
}
