using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace Autoscaler.Sandbox;

/// <summary>
/// A throw-away PostgreSQL on 127.0.0.1 for tests and benches: Debian's postgresql 15 binaries (initdb, postgres) on a
/// temporary data directory and a free port, with a password (scram-sha-256) so connection URLs are real ones. Run as
/// root, it runs them as the <c>postgres</c> OS user (initdb refuses root). Disposing stops the server and deletes the
/// data directory. Nothing listens beyond loopback and no Unix socket is made.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Where Debian installs the server binaries.</summary>
    public const string DefaultBinDir = "/usr/lib/postgresql/15/bin";

    private const string User = "autoscaler";
    private readonly ChildProcess _process;
    private readonly string _root;
    private int _disposed;
    private int _databases;

    private PostgresServer(ChildProcess process, string root, int port, string password)
    {
        _process = process;
        _root = root;
        Port = port;
        Password = password;
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The password of the <c>autoscaler</c> superuser.</summary>
    public string Password { get; }

    /// <summary>The server process (tests pause or kill it).</summary>
    public ChildProcess Process => _process;

    /// <summary>True when the binaries are installed (tools/test-deps.sh installs Debian's <c>postgresql</c>).</summary>
    public static bool IsInstalled(string binDir = DefaultBinDir) => File.Exists(Path.Combine(binDir, "initdb")) && File.Exists(Path.Combine(binDir, "postgres"));

    /// <summary><c>postgres://autoscaler:PASSWORD@127.0.0.1:PORT/<paramref name="database"/></c>.</summary>
    public string Url(string database) => $"postgres://{User}:{Password}@127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/{database}";

    /// <summary>Creates a new empty database named after <paramref name="prefix"/>; returns its URL.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t", CancellationToken ct = default)
    {
        var name = $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}".ToLowerInvariant();
        await using var c = new NpgsqlConnection(new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = "postgres", Pooling = false,
        }.ConnectionString);
        await c.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
        await cmd.ExecuteNonQueryAsync(ct);
        return Url(name);
    }

    /// <summary>initdb in a new temporary directory under <paramref name="workDir"/> (default the system's temp), then
    /// starts the server and waits until it accepts connections.</summary>
    public static async Task<PostgresServer> StartAsync(string? workDir = null, string binDir = DefaultBinDir, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        if (!IsInstalled(binDir))
        {
            throw new SandboxSetupException($"PostgreSQL 15 is not installed ({binDir}/initdb missing): apt-get install postgresql (tools/test-deps.sh does)");
        }

        var root = Directory.CreateTempSubdirectory("autoscaler-pg-").FullName;
        if (workDir is not null)
        {
            Directory.Delete(root);
            root = Directory.CreateDirectory(Path.Combine(workDir, "pg-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        }

        var data = Path.Combine(root, "data");
        var password = Guid.NewGuid().ToString("N");
        var pwfile = Path.Combine(root, "pw");
        await File.WriteAllTextAsync(pwfile, password, ct);
        var asRoot = Environment.UserName == "root" || GetUid() == 0;
        if (asRoot)
        {
            // initdb refuses root: the directory (and the way to it) belongs to the postgres user.
            await RunAsync("chown", ["-R", "postgres:postgres", root], ct);
            await RunAsync("chmod", ["o+x", Path.GetDirectoryName(root)!], ct);
        }

        await RunAsync(Wrap(asRoot, Path.Combine(binDir, "initdb")), WrapArgs(asRoot, Path.Combine(binDir, "initdb"),
            ["-D", data, "-U", User, "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]), ct);
        var port = MonitoringStack.FreePort();
        var postgres = Path.Combine(binDir, "postgres");
        var process = ChildProcess.Start("postgres", Wrap(asRoot, postgres), WrapArgs(asRoot, postgres,
        [
            "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-c", "listen_addresses=127.0.0.1",
            "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=200", "-c", "shared_buffers=16MB",
        ]), root, Path.Combine(root, "postgres.log"));
        var server = new PostgresServer(process, root, port, password);
        try
        {
            await server.WaitReadyAsync(timeout ?? TimeSpan.FromSeconds(60), ct);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private async Task WaitReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var cs = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = User, Password = Password, Database = "postgres", Pooling = false, Timeout = 2 }.ConnectionString;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new SandboxSetupException($"postgres exited at start:\n{_process.Tail()}");
            }

            try
            {
                await using var c = new NpgsqlConnection(cs);
                await c.OpenAsync(ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException && watch.Elapsed < timeout)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>Stops the server and deletes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Wrap(bool asRoot, string program) => asRoot ? ChildProcess.FindInPath("/usr/bin/setpriv", "/bin/setpriv") ?? "setpriv" : program;

    private static List<string> WrapArgs(bool asRoot, string program, IEnumerable<string> args)
    {
        List<string> list = asRoot ? ["--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", program] : [];
        list.AddRange(args);
        return list;
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(start) ?? throw new SandboxSetupException($"cannot start {program}");
        var output = p.StandardOutput.ReadToEndAsync(ct);
        var error = p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0)
        {
            throw new SandboxSetupException($"{Path.GetFileName(program)} {string.Join(' ', args.Take(6))} failed ({p.ExitCode}): {await error}{await output}");
        }
    }

    private static uint GetUid() => OperatingSystem.IsLinux() && File.Exists("/proc/self/status")
        ? File.ReadLines("/proc/self/status").Where(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Select(l => uint.Parse(l.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).FirstOrDefault()
        : 1;
}
