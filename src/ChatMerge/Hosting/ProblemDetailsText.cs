using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace ChatMerge.Hosting;

/// <summary>Every error carries a <c>detail</c> string: the original web client shows it to the user.</summary>
internal static partial class ProblemDetailsText
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (!string.IsNullOrEmpty(problem.Detail))
            return;
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            // Field names as the client writes them (snake_case), in the keys and in the text.
            var errors = validation.Errors.ToDictionary(
                e => JsonNamingPolicy.SnakeCaseLower.ConvertName(e.Key),
                e => e.Value.Select(m => Readable(m, e.Key)).ToArray());
            validation.Errors.Clear();
            foreach (var (key, messages) in errors)
                validation.Errors[key] = messages;
            problem.Detail = string.Join(" ", errors.SelectMany(e => e.Value.Select(m => Prefix(e.Key, m))));
            return;
        }
        problem.Detail = problem.Status switch
        {
            404 => context.HttpContext.GetEndpoint() is null ? $"No endpoint at {context.HttpContext.Request.Path}." : "Not found.",
            405 => $"Method {context.HttpContext.Request.Method} is not allowed here.",
            415 => "Send the body as application/json.",
            _ => problem.Title ?? "Request failed.",
        };
    }

    /// <summary>The data annotations' texts name the C# property ("The field Title must be ..."); the client knows "title".</summary>
    private static string Readable(string message, string property)
    {
        var field = JsonNamingPolicy.SnakeCaseLower.ConvertName(property);
        message = message.Replace($"The {property} field", field).Replace($"The field {property}", field);
        return MaxLength().Replace(message, "must be at most $1 characters long.");
    }

    [GeneratedRegex("must be a string or array type with a maximum length of '(\\d+)'\\.")]
    private static partial Regex MaxLength();

    private static string Prefix(string field, string message) =>
        string.IsNullOrEmpty(field) || message.Contains(field, StringComparison.OrdinalIgnoreCase) ? message : $"{field}: {message}";
}
