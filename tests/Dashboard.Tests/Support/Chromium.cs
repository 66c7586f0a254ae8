namespace Dashboard.Tests.Support;

/// <summary>Finds Debian's chromium for Playwright. The browser tests must run in CI, so a missing browser fails them
/// with the fix rather than skipping them.</summary>
internal static class Chromium
{
    /// <summary>Overrides the search (a path to a chromium or chrome binary).</summary>
    public const string EnvironmentVariable = "DASHBOARD_TESTS_CHROMIUM";

    // The real binary first: Debian's /usr/bin/chromium is a shell wrapper around it.
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"];

    public static string Find()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured)
        {
            if (File.Exists(configured))
            {
                return configured;
            }

            throw new InvalidOperationException($"{EnvironmentVariable} is set to '{configured}', which does not exist.");
        }

        foreach (var path in Candidates)
        {
            if (File.Exists(path))
            {
                return path;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var name in new[] { "chromium", "chromium-browser" })
            {
                var path = Path.Combine(dir, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        throw new InvalidOperationException(
            "Chromium was not found, and the dashboard's browser tests need it: install Debian's package " +
            "(apt-get install chromium; .ci/run does) or set " + EnvironmentVariable + " to a chromium binary. " +
            "Looked in " + string.Join(", ", Candidates) + " and PATH.");
    }
}
