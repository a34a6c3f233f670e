namespace Switch.Tests;

/// <summary>The one polling helper for "eventually" assertions: the condition is checked every 200 ms until it holds or
/// the time is up (then the failure message is the test's error). No fixed sleeps where a condition can be awaited.</summary>
public static class Eventually
{
    public static async Task Async(Func<Task<bool>> condition, string failure, TimeSpan? within = null)
    {
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException(failure);
            await Task.Delay(200);
        }
    }

    public static Task That(Func<bool> condition, string failure, TimeSpan? within = null) =>
        Async(() => Task.FromResult(condition()), failure, within);
}
