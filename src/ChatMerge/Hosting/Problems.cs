using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatMerge.Hosting;

/// <summary>The expected failures, returned (not thrown) with a detail the client can show.</summary>
internal static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound);

    public static ProblemHttpResult InvalidId(string name, string value) =>
        BadRequest($"{name} must be a UUID, not '{Clip(value)}'.");

    /// <summary>The largest <c>limit</c> of a list.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>The <c>limit</c>/<c>offset</c> of a list, or the problem with them.</summary>
    public static ProblemHttpResult? InvalidPaging(int? limit, int? offset) =>
        limit is < 1 or > MaxLimit ? BadRequest($"limit must be between 1 and {MaxLimit}.")
        : offset is < 0 ? BadRequest("offset must not be negative.")
        : null;

    /// <summary>Ids arrive as strings so that a malformed one is a 400, not a routing 404.</summary>
    public static bool TryParseId(string value, out Guid id) => Guid.TryParse(value, out id);

    private static string Clip(string value) => value.Length <= 64 ? value : TextClip.Prefix(value, 64) + "…";
}
