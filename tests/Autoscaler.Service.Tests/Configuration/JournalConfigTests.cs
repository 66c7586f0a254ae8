using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Configuration;

public sealed class JournalConfigTests
{
    private const string Pool = """
        linode: { token: t }
        pools:
          web:
            region: us-east
            type: g6-standard-1
            image: linode/debian12
            min: 1
            max: 3
            nodebalancer: { label: web-nb, port: 80 }
        """;

    private static ConfigResult Parse(string yaml) => ServiceSchema.Parse(yaml, new Dictionary<string, string> { ["DB_URL"] = "postgres://app:hunter2@db.example:5432/autoscaler?sslmode=require" });

    private static string[] Errors(string yaml)
    {
        var result = Parse(yaml);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.Message).ToArray();
    }

    [Fact]
    public void Parse_PostgresUrl_ReadsLeaseAndAdvertiseAndNeverShowsThePassword()
    {
        var result = Parse(Pool + "\njournal: { url: '${DB_URL}', lease: 20s, advertise: 'http://10.0.0.5:9099' }\n");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        var journal = result.Config.Journal;
        Assert.Equal("postgres://app:hunter2@db.example:5432/autoscaler?sslmode=require", journal.Url!.Reveal());
        Assert.Equal((TimeSpan.FromSeconds(20), "http://10.0.0.5:9099"), (journal.Lease, journal.Advertise));
        var described = result.Config.Describe();
        Assert.Contains("journal: { url: postgres://app@db.example:5432/autoscaler, lease: 20s, advertise: http://10.0.0.5:9099 }", described, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", described, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoUrl_SqliteWithoutLease()
    {
        var result = Parse(Pool);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Null(result.Config.Journal.Url);
        Assert.Contains("journal: { path: ", result.Config.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadJournal_EveryErrorNamesItsFieldNotThePassword()
    {
        var errors = Errors(Pool + "\njournal: { path: j.db, url: 'postgres://app:hunter2@/x', lease: 1s, advertise: 'ftp://x' }\n");

        Assert.Equal(
        [
            "journal.path and journal.url are exclusive: path is the embedded SQLite file, url a PostgreSQL database",
            "journal.url is not a valid postgres:// URL (postgres://user:password@host:port/database)",
            "journal.lease must be between 3s and 10m (got 1s)",
            "journal.advertise must be an http(s):// URL (got 'ftp://x')",
        ], errors.Order(StringComparer.Ordinal).ToArray().OrderBy(e => e.StartsWith("journal.path", StringComparison.Ordinal) ? 0 : e.StartsWith("journal.url", StringComparison.Ordinal) ? 1 : e.StartsWith("journal.lease", StringComparison.Ordinal) ? 2 : 3).ToArray());
        Assert.All(errors, e => Assert.DoesNotContain("hunter2", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_LeaseWithoutUrl_Refused()
    {
        Assert.Equal(["journal.lease needs journal.url (only replicas sharing a PostgreSQL journal elect a leader)"],
            Errors(Pool + "\njournal: { lease: 15s }\n"));
    }
}
