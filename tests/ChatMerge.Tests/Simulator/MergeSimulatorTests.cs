using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatMerge.Tests.Simulator;

public sealed class MergeSimulatorTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    const string System = "Merge the conversations. Write each turn as [USER]: ... or [ASSISTANT]: ..., reasoning as [REASONING]: ...";

    static string Conversations(string extra = "") => $"""
        Merge these. {extra}
        <<<CONVERSATION 1>>>
        Title: Colours
        [USER]: What is red?
        [REASONING]: Think of apples.
        [ASSISTANT]: A colour,
        like apples.
        <<<END CONVERSATION 1>>>
        <<<CONVERSATION 2>>>
        Title: More
        [USER]: What is red?
        [ASSISTANT]: A colour,
        like apples.
        [USER]: And blue?
        [ASSISTANT]: The sky.
        <<<END CONVERSATION 2>>>
        """;

    const string Merged = "[USER]: What is red?\n\n[REASONING]: Think of apples.\n\n[ASSISTANT]: A colour,\nlike apples.\n\n[USER]: And blue?\n\n[ASSISTANT]: The sky.";

    async Task<SimulatorFixture.Collected> Ask(IChatClient client, string user) =>
        await SimulatorFixture.Collect(client.GetStreamingResponseAsync([new(ChatRole.System, System), new(ChatRole.User, user)]));

    [Fact]
    public async Task Merge_over_openai_streams_turns_in_order_without_exact_repeats()
    {
        var r = await Ask(sim.OpenAiChat(), Conversations());

        Assert.Equal(Merged, r.Text);
        Assert.Contains(r.Updates, u => u.Text.Contains('[') && !u.Text.Contains("]:")); // a marker split across chunks
    }

    [Fact]
    public async Task Merge_over_anthropic_gives_the_same_merge()
    {
        var r = await Ask(sim.AnthropicChat(), Conversations());

        Assert.Equal(Merged, r.Text);
    }

    [Fact]
    public async Task Merge_without_the_format_system_prompt_is_a_plain_echo()
    {
        var r = await SimulatorFixture.Collect(sim.OpenAiChat().GetStreamingResponseAsync(Conversations()));

        Assert.StartsWith("You said:", r.Text);
    }

    [Theory]
    [InlineData("no-markers")]
    [InlineData("code-only")]
    [InlineData("preamble")]
    [InlineData("bold")]
    [InlineData("user-only")]
    public async Task Merge_directive_bends_the_format(string mode)
    {
        var r = await Ask(sim.OpenAiChat(), Conversations($"[[sim:merge={mode}]]"));

        Assert.DoesNotContain("[[sim:", r.Text);
        switch (mode)
        {
            case "no-markers": Assert.DoesNotContain("]:", r.Text); Assert.Contains("The sky.", r.Text); break;
            case "code-only": Assert.StartsWith("Sure", r.Text); Assert.Contains("```\n[USER]: What is red?", r.Text); break;
            case "preamble": Assert.Equal("Here is the merged conversation:\n\n" + Merged, r.Text); break;
            case "bold": Assert.StartsWith("**[User]:** What is red?", r.Text); Assert.Contains("**[Assistant]:** The sky.", r.Text); break;
            case "user-only": Assert.Equal("[USER]: What is red?\n\n[USER]: And blue?", r.Text); break;
        }
    }

    [Fact]
    public async Task Merge_directive_inside_a_conversation_is_removed_from_the_turn()
    {
        var r = await Ask(sim.OpenAiChat(), Conversations().Replace("The sky.", "The sky. [[sim:delay=1]]"));

        Assert.Equal(Merged, r.Text);
    }

    [Fact]
    public async Task Context_directive_rejects_a_request_over_the_limit_with_the_real_error()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Ask(sim.OpenAiChat(), Conversations("[[sim:context=10]]")));

        Assert.Equal(400, e.Status);
        Assert.Contains("context_length_exceeded", e.GetRawResponse()!.Content.ToString());
    }

    [Fact]
    public async Task Context_directive_lets_a_request_under_the_limit_through()
    {
        var r = await Ask(sim.OpenAiChat(), Conversations("[[sim:context=100000]]"));

        Assert.Equal(Merged, r.Text);
    }

    [Fact]
    public async Task Max_context_tokens_option_applies_to_every_provider()
    {
        await using var host = await global::ChatMerge.Simulator.SimulatorHost.StartAsync(new() { MaxContextTokens = 5 });
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(host.BaseUrl, "/v1/messages"))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { model = "c", max_tokens = 10, messages = new[] { new { role = "user", content = new string('x', 100) } } })),
        };
        request.Headers.Add("x-api-key", "sim-anthropic-key");

        var response = await sim.Http.SendAsync(request);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("prompt is too long", await response.Content.ReadAsStringAsync());
    }
}
