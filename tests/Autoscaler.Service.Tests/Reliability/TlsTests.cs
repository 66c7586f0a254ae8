using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Autoscaler.Core.Configuration;
using Autoscaler.Core.Pools;
using Autoscaler.Service.Configuration;
using Autoscaler.Service.Security;
using Autoscaler.Service.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Autoscaler.Service.Tests.Reliability;

/// <summary>The listener with <c>tls {cert_file, key_file}</c>: a self-signed certificate made by the test serves HTTPS,
/// the webhook over TLS with credentials scales, and every unusable pair of files stops the start with one line
/// naming the setting and the file, before any pool is built.</summary>
public sealed class TlsTests
{
    /// <summary>A fresh self-signed certificate for 127.0.0.1 and its unencrypted PKCS#8 key, as PEM files.</summary>
    private static (string Cert, string Key, string Thumbprint) MakeCertificate(TempDir dir, string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = TimeProvider.System.GetUtcNow();
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        var certPath = dir.File(name + ".crt");
        var keyPath = dir.File(name + ".key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return (certPath, keyPath, cert.Thumbprint);
    }

    private static AutoscalerConfig Config(TempDir dir, string cert, string key) =>
        TestConfig.Build(dir, TestConfig.Pool(min: 0, max: 3, extra: "    scale_up: { step: 1, cooldown: 0s }"),
            extraTop: $"tls: {{ cert_file: \"{cert}\", key_file: \"{key}\" }}");

    [Fact]
    public async Task Https_CertAndKeyFromConfig_ServesTlsAndTheAuthenticatedWebhookScales()
    {
        string? thumbprint = null;
        await using var s = await FakeService.StartAsync(dir =>
        {
            var (cert, key, print) = MakeCertificate(dir, "server");
            thumbprint = print;
            return Config(dir, cert, key);
        });
        Assert.Equal("https", s.Host.BaseAddress.Scheme);

        // Trust exactly this certificate (pinned), as a client given the self-signed cert would.
        using var https = new HttpClient(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && cert.Thumbprint == thumbprint,
        })
        { BaseAddress = s.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal("ok\n", await https.GetStringAsync("healthz"));

        using (var anonymous = await https.PostAsync("hook", TestConfig.Json(TestConfig.Notification("PoolCpuHigh"))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "hook") { Content = TestConfig.Json(TestConfig.Notification("PoolCpuHigh")) };
        request.Headers.Authorization = TestConfig.BearerHeader(TestConfig.WebhookToken);
        using var response = await https.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Wait.UntilAsync(() => s.Pools["web"].Cloud.Launches >= 1, "a launch from the webhook over TLS");

        // The default trust store does not know the certificate, and plain HTTP is not served on the TLS port.
        using var untrusting = new HttpClient { BaseAddress = s.Host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetStringAsync("healthz"));
        using var plain = new HttpClient { BaseAddress = new UriBuilder(s.Host.BaseAddress) { Scheme = "http" }.Uri, Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            using var answer = await plain.GetAsync("healthz");
            Assert.NotEqual(HttpStatusCode.OK, answer.StatusCode);
        }
        catch (HttpRequestException)
        {
            // Kestrel may also just close a connection that does not start with a TLS handshake.
        }
    }

    public static TheoryData<string, string> BadFiles() => new()
    {
        { "missing-cert", "tls: tls.cert_file '{cert}' does not exist" },
        { "missing-key", "tls: tls.key_file '{key}' does not exist" },
        { "cert-is-directory", "tls: tls.cert_file '{cert}' is a directory, not a PEM file" },
        { "garbage-cert", "tls: tls.cert_file '{cert}' holds no PEM certificate" },
        { "garbage-key", "tls: tls.key_file '{key}' holds no PEM private key" },
        { "other-key", "tls: the private key in tls.key_file '{key}' does not match the certificate in tls.cert_file '{cert}'" },
        { "swapped", "tls: tls.cert_file '{cert}' holds no PEM certificate" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Start_UnusableTlsFiles_ClearErrorNamingSettingAndFileBeforeAnyPool(string kind, string expected)
    {
        using var dir = new TempDir();
        var (cert, key, _) = MakeCertificate(dir, "server");
        var (_, otherKey, _) = MakeCertificate(dir, "other");
        switch (kind)
        {
            case "missing-cert":
                cert = dir.File("nope.crt");
                break;
            case "missing-key":
                key = dir.File("nope.key");
                break;
            case "cert-is-directory":
                cert = dir.Path;
                break;
            case "garbage-cert":
                File.WriteAllText(cert, "not a certificate\n");
                break;
            case "garbage-key":
                File.WriteAllText(key, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
                break;
            case "other-key":
                key = otherKey;
                break;
            case "swapped":
                (cert, key) = (key, cert);
                break;
        }

        var poolsBuilt = 0;
        var error = await Assert.ThrowsAsync<ArgumentException>(() => AutoscalerHost.StartAsync(Config(dir, cert, key), new AutoscalerServices
        {
            InstancePools = p =>
            {
                Interlocked.Increment(ref poolsBuilt);
                return new GatedPool(p.Name, TimeProvider.System);
            },
        }));

        Assert.StartsWith(expected.Replace("{cert}", cert, StringComparison.Ordinal).Replace("{key}", key, StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
        Assert.Equal(0, poolsBuilt);
        // Never the key itself.
        var keyMaterial = File.Exists(key) ? File.ReadAllLines(key).FirstOrDefault(l => l.Length > 20 && !l.StartsWith("-----", StringComparison.Ordinal)) : null;
        if (keyMaterial is not null)
        {
            Assert.DoesNotContain(keyMaterial, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_MissingCertFile_OneLineErrorAndExitCode1()
    {
        using var dir = new TempDir();
        var (_, key, _) = MakeCertificate(dir, "server");
        var missing = dir.File("missing.crt");
        var yaml = dir.File("autoscaler.yaml");
        await File.WriteAllTextAsync(yaml, $$"""
            linode: { url: "http://127.0.0.1:1/v4", token: {{TestConfig.LinodeToken}} }
            listen: 127.0.0.1:0
            tls: { cert_file: "{{missing}}", key_file: "{{key}}" }
            journal: { path: {{dir.File("autoscaler.db")}} }
            pools:
            {{TestConfig.Pool(min: 0, max: 2)}}
            """);

        var (code, stdout, stderr) = await CliProcess.RunAsync(null, "serve", "--config", yaml);

        Assert.Equal(1, code);
        Assert.Equal($"serve: cannot start: tls: tls.cert_file '{missing}' does not exist\n", stderr);
        Assert.DoesNotContain("listening", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0666", false)]
    [InlineData("0644", false)]
    [InlineData("0620", false)]
    [InlineData("0604", false)]
    [InlineData("0640", true)]
    [InlineData("0600", true)]
    [InlineData("0400", true)]
    public void Load_KeyReadableOrWritableByOthers_RefusedInOneLine(string mode, bool accepted)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes
        }

        using var dir = new TempDir();
        var (cert, key, _) = MakeCertificate(dir, "server");
        File.SetUnixFileMode(key, (UnixFileMode)Convert.ToInt32(mode, 8));
        var tls = new TlsConfig { CertFile = cert, KeyFile = key };

        if (accepted)
        {
            using var loaded = TlsCertificateLoader.Load(tls);
            Assert.True(loaded.HasPrivateKey);
            return;
        }

        var error = Assert.Throws<ArgumentException>(() => TlsCertificateLoader.Load(tls));
        Assert.Equal($"tls: tls.key_file '{key}' may be read or written by other users (mode {mode}); make it private: chmod 600 '{key}' (or 640 with a trusted group)",
            error.Message);
    }

    [Fact]
    public void Current_FilesReplacedByARenewedPair_ServedWithoutRestartAndABrokenChangeKeepsTheOld()
    {
        using var dir = new TempDir();
        var (cert, key, first) = MakeCertificate(dir, "server");
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        using var reloader = new TlsCertificateReloader(new TlsConfig { CertFile = cert, KeyFile = key }, time, NullLogger.Instance);
        Assert.Equal(first, reloader.Current.Thumbprint);

        // Renewed in place (as certbot or an operator would), with a later modification time.
        var (renewedCert, renewedKey, second) = MakeCertificate(dir, "renewed");
        File.Copy(renewedCert, cert, overwrite: true);
        File.Copy(renewedKey, key, overwrite: true);
        File.SetLastWriteTimeUtc(cert, TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(5));
        File.SetLastWriteTimeUtc(key, TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(5));
        Assert.Equal(first, reloader.Current.Thumbprint); // not looked at again within a second
        time.Advance(TlsCertificateReloader.CheckInterval + TimeSpan.FromMilliseconds(1));
        Assert.Equal(second, reloader.Current.Thumbprint);
        Assert.Equal(1, reloader.Reloads);

        // Half written: the renewed certificate stays in use.
        File.WriteAllText(cert, "-----BEGIN CERTIFICATE-----\n");
        File.SetLastWriteTimeUtc(cert, TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10));
        time.Advance(TlsCertificateReloader.CheckInterval + TimeSpan.FromMilliseconds(1));
        Assert.Equal(second, reloader.Current.Thumbprint);
        Assert.Equal(1, reloader.Reloads);
    }
}
