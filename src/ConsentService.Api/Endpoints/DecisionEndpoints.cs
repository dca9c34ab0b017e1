using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ConsentService.Api.Errors;
using ConsentService.Api.Fhir;
using ConsentService.Application;
using ConsentService.Application.Decisions;
using ConsentService.Application.Security;
using ConsentService.Api.Security;
using MediatR;

namespace ConsentService.Api.Endpoints;

/// <summary>The JSON decision API under /api/v1: may this study be used by this actor for this purpose?</summary>
public static class DecisionEndpoints
{
    public static IEndpointRouteBuilder MapDecisionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/decisions").WithTags("Decisions");

        api.MapPost("", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var query = await ReadAsync(request, DecisionJsonContext.Default.DecisionQuery, ct);
                var result = await mediator.Send(new DecideCommand(query), ct);
                return TypedResults.Json(result, DecisionJsonContext.Default.DecisionResult);
            })
            .WithName("decide")
            .WithSummary("Decide whether one study may be used by an actor for a purpose.")
            .WithDescription("Permit or deny with the basis, the consent version it rests on, the provision path, reasons and obligations. "
                + "The decision is recorded in the audit trail before the answer is sent; its decisionId is the AuditEvent id.")
            .WithMetadata(new JsonRequestBody(typeof(DecisionQuery)))
            .RequireScope(OperationScope.Decide)
            .Produces<DecisionResult>(200)
            .ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);

        api.MapPost("/batch", async (HttpRequest request, IMediator mediator, CancellationToken ct) =>
            {
                var query = await ReadAsync(request, DecisionJsonContext.Default.BatchDecisionQuery, ct);
                var result = await mediator.Send(new DecideBatchCommand(query), ct);
                return new PipedJson<BatchDecisionResult>(result, DecisionJsonContext.Default.BatchDecisionResult);
            })
            .WithName("decideBatch")
            .WithSummary("Decide up to 10,000 studies for one actor and purpose, in order.")
            .WithDescription("One result per study, in request order; an unknown study is a deny with basis unknown-study. "
                + "Every result is recorded in the audit trail before the answer is sent.")
            .WithMetadata(new JsonRequestBody(typeof(BatchDecisionQuery)))
            .RequireScope(OperationScope.Decide)
            .Produces<BatchDecisionResult>(200)
            .ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(503);

        api.MapPost("/cohort", async (HttpContext context, IMediator mediator, ILoggerFactory logs, CancellationToken ct) =>
            {
                var query = await ReadAsync(context.Request, DecisionJsonContext.Default.CohortQuery, ct);
                var lines = await mediator.Send(new DecideCohortCommand(query), ct);
                await StreamCohortAsync(context, lines, logs.CreateLogger("ConsentService.Cohort"), ct);
            })
            .RequireScope(OperationScope.Decide)
            .WithName("decideCohort")
            .WithSummary("Select a training cohort: decide every registered study matching the filter; stream the permitted ones.")
            .WithDescription("application/x-ndjson: one line per permitted study (the same result as a batch gives), then "
                + "{\"summary\":{\"matched\",\"permitted\",\"deniedByConsent\",\"deniedByPolicy\"}}. Every study decided gets its own "
                + "AuditEvent, committed before its line is sent. A stream that ends without the summary line is incomplete "
                + "(the service stopped it, e.g. because the audit trail could not be written): use only what it delivered.")
            .WithMetadata(new JsonRequestBody(typeof(CohortQuery)))
            .Produces<DecisionResult>(200, "application/x-ndjson")
            .ProducesProblem(400).ProducesProblem(415).ProducesProblem(503);
        return app;
    }

    /// <summary>
    /// A large answer (a batch: up to 10,000 results, about 7 MB) serialized in one synchronous pass into the response
    /// pipe, through the source-generated fast path, then flushed. <c>TypedResults.Json</c> serializes asynchronously,
    /// and System.Text.Json stops using a type's fast path when streaming once an answer of that type outgrew its
    /// flush threshold, so every batch answer went through the slower metadata-driven converters (measured in process,
    /// a 7 MB answer of 10,000 results: 24-43 ms asynchronously, 16-28 ms in one pass). The whole answer is in memory
    /// either way (the results are).
    /// </summary>
    private sealed class PipedJson<T>(T value, JsonTypeInfo<T> type) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            var options = type.Options; // written as the serializer options say (encoder, indentation, depth)
            using (var json = new Utf8JsonWriter(response.BodyWriter,
                new JsonWriterOptions { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth }))
            {
                JsonSerializer.Serialize(json, value, type);
            }
            await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
    }

    private static async Task StreamCohortAsync(HttpContext context, IAsyncEnumerable<CohortLine> lines, ILogger logger, CancellationToken ct)
    {
        var response = context.Response;
        await using var enumerator = lines.GetAsyncEnumerator(ct);
        // The first line is decided (and audited) before the status is sent, so a failure at the start is a
        // proper problem-details answer; a failure later can only cut the stream short.
        var hasLine = await enumerator.MoveNextAsync();
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/x-ndjson";
        var body = response.BodyWriter;
        using var json = new Utf8JsonWriter(body);
        try
        {
            var buffered = 0;
            while (hasLine)
            {
                var line = enumerator.Current;
                if (line.Result is { } result)
                {
                    JsonSerializer.Serialize(json, result, DecisionJsonContext.Default.DecisionResult);
                }
                else
                {
                    JsonSerializer.Serialize(json, new CohortSummaryLine(line.Summary!), DecisionJsonContext.Default.CohortSummaryLine);
                }
                json.Flush();
                json.Reset();
                body.Write("\n"u8);
                if (++buffered >= 256 || line.Summary is not null)
                {
                    await body.FlushAsync(ct);
                    buffered = 0;
                }
                hasLine = await enumerator.MoveNextAsync();
            }
        }
        catch (ServiceUnavailableException)
        {
            logger.LogError("Cohort stream stopped: the audit trail could not be written");
            context.Abort();
        }
    }

    private static async Task<T> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, CancellationToken ct) where T : class
    {
        if (!string.IsNullOrEmpty(request.ContentType) && !request.HasJsonContentType())
        {
            throw new UnsupportedMediaTypeException($"Content-Type '{request.ContentType}' is not supported; send application/json.");
        }
        var body = await RequestBody.ReadAsync(request, RequestBody.DefaultLimitBytes, ct);
        try
        {
            return JsonSerializer.Deserialize(body, type)
                ?? throw new InvalidRequestException([new ContentIssue("", "The body must be a JSON object.")]);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "";
            var message = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? $"Unknown field '{UnknownMember(e.Message) ?? field}'."
                : field.Length > 0 ? $"'{field}' has an invalid value." : "The body is not valid JSON.";
            throw new InvalidRequestException([new ContentIssue(UnknownMember(e.Message) ?? field, message)]);
        }
    }

    // System.Text.Json: "The JSON property 'foo' could not be mapped to any .NET member contained in type ..."
    private static string? UnknownMember(string message)
    {
        const string marker = "The JSON property '";
        var start = message.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += marker.Length;
        var end = message.IndexOf('\'', start);
        return end > start ? message[start..end] : null;
    }
}
