using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Runtime;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Tests;

/// <summary>The mapping from exceptions to answers, for faults a running cluster cannot easily be made to throw.</summary>
public sealed class ExceptionHandlerTests
{
    public static TheoryData<Exception, int, string> Cases => new()
    {
        { new OrleansException("cluster unreachable"), 503, "ledger_unavailable" },
        { new SiloUnavailableException(), 503, "ledger_unavailable" },
        { new TimeoutException("grain call timed out"), 503, "ledger_unavailable" },
        { new TradeMaster.Contracts.Ledger.LedgerUnavailableException("state write failed"), 503, "ledger_unavailable" },
        { new NpgsqlException("connection refused"), 503, "database_unavailable" },
        { new BadHttpRequestException("too big", StatusCodes.Status413PayloadTooLarge), 413, "payload_too_large" },
        { new BadHttpRequestException("bad header", StatusCodes.Status400BadRequest), 400, "bad_request" },
        { new JsonException("unexpected token"), 400, "malformed_json" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TryHandleAsync_KnownFault_WritesProblemWithStatusAndCode(Exception exception, int status, string code)
    {
        var (context, body) = NewContext();
        var handled = await new GatewayExceptionHandler(NullLogger<GatewayExceptionHandler>.Instance)
            .TryHandleAsync(context, exception, CancellationToken.None);

        Assert.True(handled);
        Assert.Equal(status, context.Response.StatusCode);
        body.Position = 0;
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task TryHandleAsync_ProgrammingError_LeavesItToThe500Handler()
    {
        var (context, _) = NewContext();
        var handled = await new GatewayExceptionHandler(NullLogger<GatewayExceptionHandler>.Instance)
            .TryHandleAsync(context, new NullReferenceException(), CancellationToken.None);
        Assert.False(handled);
    }

    private static (HttpContext Context, MemoryStream Body) NewContext()
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var body = new MemoryStream();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = body;
        context.Request.Headers.Accept = "application/json";
        return (context, body);
    }
}
