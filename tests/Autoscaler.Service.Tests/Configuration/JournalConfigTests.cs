using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Configuration;

public sealed class JournalConfigTests
{
    private static readonly Dictionary<string, string> Env = new() { ["DB_URL"] = "postgres://app:hunter2@db.example:5432/autoscaler?sslmode=require" };

    private const string Pool = ConfigParse.OnePool;

    private static ConfigResult Parse(string yaml) => ConfigParse.Parse(yaml, Env);

    private static string[] Errors(string yaml) => ConfigParse.Errors(yaml, Env);

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
