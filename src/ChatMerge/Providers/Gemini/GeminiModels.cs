namespace ChatMerge.Providers.Gemini;

internal static class GeminiModels
{
    // The catalogue fits in one page today; the cap keeps a looping nextPageToken from spinning.
    const int MaxPages = 5;

    /// <summary>Ids (without the "models/" prefix) of the models that can chat.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(HttpClient http, string apiKey, CancellationToken ct)
    {
        var ids = new List<string>();
        string? pageToken = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var url = "v1beta/models?pageSize=1000" + (pageToken is null ? "" : "&pageToken=" + Uri.EscapeDataString(pageToken));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = await GeminiHttp.SendAsync(http, request, apiKey, ct);
            var list = await GeminiHttp.ReadJsonAsync(response, GeminiJsonContext.Default.GeminiModelList, ct);
            foreach (var model in list.Models ?? [])
                if (model is { Name: { } name, SupportedGenerationMethods: { } methods } && methods.Contains("generateContent"))
                    ids.Add(name.StartsWith("models/", StringComparison.Ordinal) ? name["models/".Length..] : name);
            pageToken = list.NextPageToken;
            if (string.IsNullOrEmpty(pageToken))
                break;
        }
        return ids;
    }
}
