using System.Text.Json;
using System.Text.RegularExpressions;
using ChatMerge.Data;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ChatMerge.Hosting;

/// <summary>
/// The one place for the unexpected. Bad requests that the framework throws (broken JSON,
/// wrong types, bodies too large) become 4xx problems, a database that cannot be used now a 503,
/// anything else a 500 without internals.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, Describe(bad)),
            JsonException json => (StatusCodes.Status400BadRequest, "Invalid JSON: " + Describe(json)),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "Client closed the request."),
            _ when DataExtensions.IsUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "The database is unavailable right now. Try again shortly."),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred. It has been logged."),
        };
        if (status == StatusCodes.Status503ServiceUnavailable)
            LogUnavailable(logger, exception.GetType().Name, context.Request.Path);
        else if (status >= 500)
            LogUnexpected(logger, exception.GetType().Name, context.Request.Path);
        if (context.Response.HasStarted || status == 499)
            return true;

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail },
        });
    }

    private static string Describe(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return "Request body too large.";
        // The framework's own texts name C# parameters and types; the client shows the detail to people.
        if (bad.InnerException is JsonException json)
            return "Invalid JSON body: " + Describe(json);
        if (bad.Message.Contains("no body was provided", StringComparison.Ordinal) || bad.Message.Contains("not provided from body", StringComparison.Ordinal))
            return "The request needs a JSON body.";
        if (FailedBinding().Match(bad.Message) is { Success: true } binding)
        {
            var expected = binding.Groups["type"].Value.Contains("int", StringComparison.OrdinalIgnoreCase) ? " (a whole number is expected)" : "";
            return $"{JsonNamingPolicy.SnakeCaseLower.ConvertName(binding.Groups["name"].Value)} cannot be '{binding.Groups["value"].Value}'{expected}.";
        }
        return WithoutTypeNames(bad.Message);
    }

    private static string Describe(JsonException json)
    {
        if (UnknownMember().Match(json.Message) is { Success: true } unknown)
            return $"unknown field '{unknown.Groups["name"].Value}'.";
        if (DuplicateMember().Match(json.Message) is { Success: true } duplicate)
            return $"the field '{duplicate.Groups["name"].Value}' is given more than once.";
        var path = json.Path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..] : null;
        // The serializer names the .NET type it wanted ("could not be converted to ChatMerge.Completions.CompletionRequest"):
        // the client knows fields and JSON kinds, not our types.
        if (NotConverted().Match(json.Message) is { Success: true } conversion)
            return path is null
                ? "the body must be a JSON object."
                : $"{path}: {(conversion.Groups["type"].Value.Contains("List`1", StringComparison.Ordinal) ? "an array is expected" : "the value has the wrong type")}.";
        // Errors thrown while reading a value carry the path apart from the message.
        var field = path is not null && !json.Message.Contains("Path:", StringComparison.Ordinal) ? path + ": " : "";
        return field + WithoutTypeNames(json.Message);
    }

    /// <summary>The last guard: a framework text that names one of our types or the runtime's says "value" instead.</summary>
    private static string WithoutTypeNames(string message) => TypeName().Replace(message, "value");

    [GeneratedRegex("""^Failed to bind parameter "(?<type>\S+) (?<name>\w+)" from "(?<value>.*)"\.$""")]
    private static partial Regex FailedBinding();

    [GeneratedRegex("""^The JSON property '(?<name>.*)' could not be mapped to any \.NET member""")]
    private static partial Regex UnknownMember();

    [GeneratedRegex("""^Duplicate property '(?<name>.*)' encountered during deserialization""")]
    private static partial Regex DuplicateMember();

    [GeneratedRegex("""^The JSON value could not be converted to (?<type>\S+?)\.(?: Path:|$)""")]
    private static partial Regex NotConverted();

    [GeneratedRegex("""'?\b(?:ChatMerge|System|Microsoft)(?:\.[\w`\[\],]+)+'?""")]
    private static partial Regex TypeName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is unavailable ({ExceptionType}) on {Path}")]
    private static partial void LogUnavailable(ILogger logger, string exceptionType, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Path}")]
    private static partial void LogUnexpected(ILogger logger, string exceptionType, string path);
}
