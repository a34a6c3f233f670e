using System.Net;
using Switch.Contracts.Control;
using Xunit;

namespace Switch.Tests.Control;

/// <summary>A control that fails as a bug would: the API answers 500 with the message, as JSON.</summary>
[Trait("Category", Tiers.Unit)]
public class ControlApiFailureTests : ControlServer
{
    protected override ISwitchControl Served { get; } = new Failing();

    [Fact]
    public async Task An_unexpected_exception_is_a_500_error_response()
    {
        using var res = await Http.GetAsync("cluster");
        Assert.Equal(HttpStatusCode.InternalServerError, res.StatusCode);
        Assert.Equal("membership unavailable", await ErrorOf(res));
        var (status, error) = await PostError("flows", new AddFlowsRequest(new[] { "actions=drop" }));
        Assert.Equal((HttpStatusCode)409, status);
        Assert.Equal("version conflict", error);
    }

    private sealed class Failing : ISwitchControl
    {
        public Task<FlowModResult> AddFlowsAsync(AddFlowsRequest r, CancellationToken ct) => throw new ControlException(409, "version conflict");
        public Task<FlowModResult> ModFlowsAsync(ModFlowsRequest r, CancellationToken ct) => throw new NotSupportedException();
        public Task<FlowModResult> DelFlowsAsync(DelFlowsRequest r, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> DumpFlowsAsync(string? m, CancellationToken ct) => throw new NotSupportedException();
        public Task<IReadOnlyList<string>> DumpConntrackAsync(ushort? z, CancellationToken ct) => throw new NotSupportedException();
        public Task<FlushConntrackResult> FlushConntrackAsync(FlushConntrackRequest r, CancellationToken ct) => throw new NotSupportedException();
        public Task<string> TraceAsync(TraceRequest r, CancellationToken ct) => throw new NotSupportedException();
        public Task<PacketOutResult> PacketOutAsync(PacketOutRequest r, CancellationToken ct) => throw new NotSupportedException();
        public Task<ClusterStatus> ClusterAsync(CancellationToken ct) => throw new InvalidOperationException("membership unavailable");
    }
}
