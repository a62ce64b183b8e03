using FastRelay.TestKit;

namespace FastRelay.IntegrationTests.Audit;

/// <summary>The tests that share one real PostgreSQL server (started once, ~3 s; they run one after another).</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
