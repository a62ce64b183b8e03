using System.Runtime.CompilerServices;
using FastRelay.TestKit;

namespace FastRelay.IntegrationTests;

/// <summary>Runs once when the test assembly loads; see <see cref="ThreadPoolSetup"/>.</summary>
internal static class TestHostSetup
{
#pragma warning disable CA2255 // A test assembly's own initializer: exactly what ModuleInitializer is for.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize() => ThreadPoolSetup.Ensure();
}
