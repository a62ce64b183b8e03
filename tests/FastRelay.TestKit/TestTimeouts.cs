namespace FastRelay.TestKit;

/// <summary>Every await in a test has a bound, so a hang fails the test instead of the CI run.</summary>
public static class TestTimeouts
{
    /// <summary>Long enough for a loaded 2-core CI machine; a healthy test finishes far sooner.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Default"/>.</summary>
    public static Task<T> WithTimeout<T>(this Task<T> task) => task.WaitAsync(Default);

    /// <summary>Awaits <paramref name="task"/> for at most <see cref="Default"/>.</summary>
    public static Task WithTimeout(this Task task) => task.WaitAsync(Default);

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds or <paramref name="timeout"/> (default <see cref="Default"/>) passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(10);
        }

        return true;
    }

    /// <summary>Polls the asynchronous <paramref name="condition"/> (an HTTP probe, say) every 50 ms until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Default);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }
}
