using Aion.Worker.Tests.Grpc;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Containment;

/// <summary>CONFORMANCE #44 over gRPC: the lost-ack reproduction on the real transport, on fake time.</summary>
public sealed class GrpcContainmentTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Over_gRPC_lost_acks_behind_more_task_frames_than_the_queue_holds_do_not_livelock_and_all_2000_tasks_complete()
    {
        var time = new TestTime();
        await using var harness = await GrpcHarness.CreateAsync(b => LostAckScenario.Echo(b), LostAckScenario.Configure, time: time);
        await harness.StartAndRegisterAsync();

        await LostAckScenario.AllTasksCompleteAsync(harness.Worker, harness.Engine, time);

        await harness.StopAsync();
    }
}
