using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Activities;

public sealed class InterceptorChainTests
{
    [Test]
    public async Task Chained_interceptors_run_in_order_and_get_the_same_continuation_for_every_task()
    {
        var order = new List<string>();
        var outer = new ChainInterceptor("outer", order);
        var inner = new ChainInterceptor("inner", order);
        await using var harness = WorkerHarness.Create(builder => builder
            .UseInterceptor(outer)
            .UseInterceptor(inner)
            .AddActivity<int, int>("add", (input, _) =>
            {
                lock (order)
                {
                    order.Add($"activity {input}");
                }

                return input + 1;
            }));
        await harness.StartAndRegisterAsync();

        var first = await harness.Engine.DispatchJson("add", "1", new DispatchOptions { Position = 1 }).Result.Within();
        var second = await harness.Engine.DispatchJson("add", "10", new DispatchOptions { Position = 2 }).Result.Within();

        Assert.That(first.Result.Bytes.ToStringUtf8(), Is.EqualTo("2"));
        Assert.That(second.Result.Bytes.ToStringUtf8(), Is.EqualTo("11"));
        Assert.That(order, Is.EqualTo(new[] { "outer", "inner", "activity 1", "outer", "inner", "activity 10" }));
        Assert.That(outer.Continuations.Distinct().Count(), Is.EqualTo(1), "the rest of the chain is one delegate per worker, not a closure per task");
        Assert.That(inner.Continuations.Distinct().Count(), Is.EqualTo(1));
        Assert.That(outer.Continuations[0], Is.Not.SameAs(inner.Continuations[0]));
        await harness.StopAsync();
    }

    private sealed class ChainInterceptor(string name, List<string> order) : IActivityInterceptor
    {
        public List<ActivityInvocation> Continuations { get; } = [];

        public ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation next)
        {
            lock (order)
            {
                order.Add(name);
                Continuations.Add(next);
            }

            return next(context, input);
        }
    }
}
