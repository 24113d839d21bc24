using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ChatMerge.Hosting;

/// <summary>
/// The one place for the unexpected. Bad requests that the framework throws (broken JSON,
/// wrong types, bodies too large) become 4xx problems; anything else a 500 without internals.
/// </summary>
internal sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, Describe(bad)),
            JsonException json => (StatusCodes.Status400BadRequest, "Invalid JSON: " + json.Message),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested => (499, "Client closed the request."),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred. It has been logged."),
        };
        if (status >= 500)
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
        // The framework's message names the parameter; the inner JSON error says what is wrong and where.
        return bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled {ExceptionType} on {Path}")]
    private static partial void LogUnexpected(ILogger logger, string exceptionType, string path);
}
