using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switch.Contracts.Control;

namespace Switch.Node.Control;

/// <summary>
/// The node's HTTP control API over any <see cref="ISwitchControl"/> (one node or the cluster): JSON in and
/// out, and every failure answered as an <see cref="ErrorResponse"/>, so the CLI always has one line to print
/// and never an HTML page.
/// </summary>
public static class ControlApi
{
    public static void MapControlApi(this WebApplication app, ISwitchControl control, ApiGuard guard, Func<bool>? ready = null,
        Metrics.NodeMetrics? metrics = null)
    {
        var log = app.Logger;
        app.Use(async (ctx, next) =>
        {
            try
            {
                if (guard.Check(ctx) is { } denied) { await Error(ctx, denied.Status, denied.Message); return; }
                if (HttpMethods.IsPost(ctx.Request.Method) && !IsJson(ctx.Request.ContentType))
                {
                    // Only a JSON body: a browser cannot send one cross-site without a CORS preflight this API never grants.
                    await Error(ctx, 415, $"expected Content-Type: application/json, got '{ctx.Request.ContentType}'");
                    return;
                }
                if (ctx.Request.ContentLength > ApiLimits.BodyBytes)
                {
                    await Error(ctx, 413, $"request body of {ctx.Request.ContentLength} bytes is over the limit of {ApiLimits.BodyBytes} bytes");
                    return;
                }
                await next(ctx);
            }
            catch (ControlException e) { await Error(ctx, e.Status, e.Message); }
            catch (JsonException e) { await Error(ctx, 400, "bad JSON: " + e.Message); }
            catch (BadHttpRequestException e) when (e.StatusCode == 413)
            {
                await Error(ctx, 413, $"request body over the limit of {ApiLimits.BodyBytes} bytes");
            }
            catch (BadHttpRequestException e) { await Error(ctx, e.StatusCode, e.Message); }
            catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogError(e, "control API {Method} {Path} failed", ctx.Request.Method, ctx.Request.Path);
                await Error(ctx, 500, e.Message);
            }
        });
        // Unknown paths and wrong methods end with an empty 404/405; give them a body the CLI can print.
        app.UseStatusCodePages(async sc =>
        {
            var ctx = sc.HttpContext;
            await Error(ctx, ctx.Response.StatusCode, ctx.Response.StatusCode switch
            {
                404 => $"no such endpoint: {ctx.Request.Method} {ctx.Request.Path}",
                405 => $"method {ctx.Request.Method} not allowed on {ctx.Request.Path}",
                int s => $"HTTP {s}",
            });
        });

        // Explicit Task<IResult> lambdas: an untyped async lambda over HttpContext binds to the RequestDelegate
        // overload, which silently drops the result and answers 200 with an empty body.
        app.MapPost("/flows", async Task<IResult> (HttpContext c) =>
        {
            var req = await Body<AddFlowsRequest>(c);
            if (req.Flows is { Count: > ApiLimits.FlowsPerRequest })
                throw new ControlException(413, $"{req.Flows.Count} flows in one request; at most {ApiLimits.FlowsPerRequest} (send the table in several)");
            return Json(await control.AddFlowsAsync(req, c.RequestAborted));
        });
        app.MapPost("/flows/mod", async Task<IResult> (HttpContext c) =>
            Json(await control.ModFlowsAsync(await Body<ModFlowsRequest>(c), c.RequestAborted)));
        app.MapPost("/flows/del", async Task<IResult> (HttpContext c) =>
            Json(await control.DelFlowsAsync(await Body<DelFlowsRequest>(c), c.RequestAborted)));
        app.MapGet("/flows", async Task<IResult> (HttpContext c) =>
            Json(new { flows = await control.DumpFlowsAsync(NonEmpty(c.Request.Query["match"]), c.RequestAborted) }));
        app.MapGet("/conntrack", async Task (HttpContext c) =>
        {
            var zone = Zone(c.Request.Query["zone"]);
            if (control is IConntrackStream stream) await StreamEntries(c, stream.StreamConntrackAsync(zone, c.RequestAborted));
            else await Json(new { entries = await control.DumpConntrackAsync(zone, c.RequestAborted) }).ExecuteAsync(c);
        });
        app.MapPost("/conntrack/flush", async Task<IResult> (HttpContext c) =>
            Json(await control.FlushConntrackAsync(await Body<FlushConntrackRequest>(c), c.RequestAborted)));
        app.MapPost("/trace", async Task<IResult> (HttpContext c) =>
            Json(new { text = await control.TraceAsync(await Body<TraceRequest>(c), c.RequestAborted) }));
        app.MapPost("/packet-out", async Task<IResult> (HttpContext c) =>
        {
            var req = await Body<PacketOutRequest>(c);
            if (req.PacketsHex is { Count: > ApiLimits.PacketOutFrames })
                throw new ControlException(413, $"{req.PacketsHex.Count} frames in one packet-out; at most {ApiLimits.PacketOutFrames}");
            if (req.PacketsHex?.Select((h, i) => (h, i)).FirstOrDefault(p => p.h is { } x && x.Length / 2 > ApiLimits.PacketOutFrameBytes) is { h: not null } big)
                throw new ControlException(413, $"packet {big.i}: a frame of {big.h.Length / 2} bytes; at most {ApiLimits.PacketOutFrameBytes}");
            return Json(await control.PacketOutAsync(req, c.RequestAborted));
        });
        app.MapGet("/ports", async Task<IResult> (HttpContext c) => Json(await control.PortsAsync(c.RequestAborted)));
        app.MapGet("/cluster", async Task<IResult> (HttpContext c) => Json(await control.ClusterAsync(c.RequestAborted)));
        app.MapGet("/status", async Task<IResult> (HttpContext c) => Json(await control.StatusAsync(c.RequestAborted)));
        app.MapGet("/", () => Results.Content(StatusPage.Value, "text/html; charset=utf-8"));
        app.MapGet("/health/live", () => Results.Text("ok"));
        if (metrics is not null)
            app.MapGet("/metrics", async (HttpContext c) =>
            {
                c.Response.ContentType = Metrics.NodeMetrics.ContentType;
                await metrics.WriteAsync(c.Response.Body, c.RequestAborted);
            });
        app.MapGet("/health/ready", () => ready is null || ready()
            ? Results.Text("ok")
            : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable));
    }

    private static IResult Json<T>(T value) => Results.Json(value, ControlJson.Options);

    private static bool IsJson(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var m)
        && m.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The status page (Control/status.html, embedded): one self-contained file reading GET /status.</summary>
    private static readonly Lazy<string> StatusPage = new(() =>
    {
        using var s = typeof(ControlApi).Assembly.GetManifestResourceStream("dswitch.status.html")
            ?? throw new InvalidOperationException("the status page is not embedded in dswitch");
        return new StreamReader(s).ReadToEnd();
    });

    private static async Task<T> Body<T>(HttpContext c) where T : class
    {
        if (c.Request.ContentLength == 0) throw new ControlException(400, $"expected a JSON {typeof(T).Name} body");
        var value = await JsonSerializer.DeserializeAsync<T>(c.Request.Body, ControlJson.Options, c.RequestAborted);
        return value ?? throw new ControlException(400, $"expected a JSON {typeof(T).Name} body, got null");
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static ushort? Zone(string? s)
    {
        if (string.IsNullOrEmpty(s)) return null;
        return ushort.TryParse(s, out var z) ? z : throw new ControlException(400, $"zone: expected a number 0-65535, got '{s}'");
    }

    /// <summary>
    /// Writes <c>{"entries":[...]}</c> as the lines arrive, flushing as it goes, so the answering node holds a page per
    /// member, never the whole table. The first line is awaited before the response starts: a member that does not
    /// answer at all still gets a proper error status. A failure later aborts the response (the JSON stays unclosed and
    /// the client reports a broken answer, never a silently short dump).
    /// </summary>
    private static async Task StreamEntries(HttpContext c, IAsyncEnumerable<string> lines)
    {
        await using var e = lines.GetAsyncEnumerator(c.RequestAborted);
        bool any = await e.MoveNextAsync();
        c.Response.StatusCode = 200;
        c.Response.ContentType = "application/json; charset=utf-8";
        await using var w = new Utf8JsonWriter(c.Response.Body);
        w.WriteStartObject();
        w.WriteStartArray("entries");
        int n = 0;
        try
        {
            while (any)
            {
                w.WriteStringValue(e.Current);
                if (++n % 1024 == 0) await w.FlushAsync(c.RequestAborted);
                any = await e.MoveNextAsync();
            }
        }
        catch (Exception) when (!c.RequestAborted.IsCancellationRequested)
        {
            await w.FlushAsync();
            c.Abort();
            return;
        }
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(c.RequestAborted);
    }

    private static async Task Error(HttpContext ctx, int status, string message)
    {
        if (ctx.Response.HasStarted) return;
        var challenge = ctx.Response.Headers.WWWAuthenticate; // a 401's challenge survives the clear
        ctx.Response.Clear();
        if (status == 401 && challenge.Count > 0) ctx.Response.Headers.WWWAuthenticate = challenge;
        ctx.Response.StatusCode = status;
        await ctx.Response.WriteAsJsonAsync(new ErrorResponse(message), ControlJson.Options);
    }
}
