using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Security;

/// <summary>
/// Loads the listener's certificate from the <c>tls</c> section. Every way it can fail (a file that is missing or
/// unreadable, no PEM in it, a key that does not belong to the certificate) becomes an <see cref="ArgumentException"/>
/// naming the setting and the file (a private key others may read or write is one of them), so <c>serve</c> stops at once with one clear line instead of a stack trace. The
/// key's content never reaches a message.
/// </summary>
public static class TlsCertificateLoader
{
    /// <summary>The certificate with its private key, ready for Kestrel.</summary>
    public static X509Certificate2 Load(TlsConfig tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        Readable(tls.CertFile, "tls.cert_file");
        Readable(tls.KeyFile, "tls.key_file");

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile);
        }
        catch (CryptographicException)
        {
            throw new ArgumentException(Diagnose(tls));
        }
        catch (ArgumentException)
        {
            throw new ArgumentException(Diagnose(tls));
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new ArgumentException($"tls: tls.key_file '{tls.KeyFile}' has no private key for the certificate in tls.cert_file '{tls.CertFile}'");
        }

        try
        {
            // After the content checks, so a swapped or garbled pair is named as such first.
            Private(tls.KeyFile);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }

        return certificate;
    }

    private static void Readable(string path, string setting)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"tls: {setting} '{path}' is a directory, not a PEM file");
        }

        if (!File.Exists(path))
        {
            throw new ArgumentException($"tls: {setting} '{path}' does not exist");
        }

        try
        {
            using var stream = File.OpenRead(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"tls: {setting} '{path}' cannot be read: {ex.Message}");
        }
    }

    /// <summary>Refuses a key that users other than its owner (and its group, for reading) may read or change: anyone
    /// who can read it can impersonate the service, anyone who can write it can swap it.</summary>
    private static void Private(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode Loose = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.GroupWrite;
        var mode = File.GetUnixFileMode(path);
        if ((mode & Loose) != 0)
        {
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            throw new ArgumentException($"tls: tls.key_file '{path}' may be read or written by other users (mode {octal}); "
                + $"make it private: chmod 600 '{path}' (or 640 with a trusted group)");
        }
    }

    /// <summary>Which of the two files is wrong, checked one at a time.</summary>
    private static string Diagnose(TlsConfig tls)
    {
        try
        {
            using var alone = X509Certificate2.CreateFromPem(File.ReadAllText(tls.CertFile));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return $"tls: tls.cert_file '{tls.CertFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)";
        }

        var key = File.ReadAllText(tls.KeyFile);
        if (!key.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return $"tls: tls.key_file '{tls.KeyFile}' holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)";
        }

        return $"tls: the private key in tls.key_file '{tls.KeyFile}' does not match the certificate in tls.cert_file '{tls.CertFile}', "
            + "or it is encrypted (an unencrypted PEM key is needed)";
    }
}
