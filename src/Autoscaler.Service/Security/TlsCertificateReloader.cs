using System.Security.Cryptography.X509Certificates;
using Autoscaler.Service.Configuration;
using Microsoft.Extensions.Logging;

namespace Autoscaler.Service.Security;

/// <summary>
/// The listener's certificate, reloaded when its files change (a renewed certificate is served without a restart).
/// Handshakes ask for <see cref="Current"/>; at most once per <see cref="CheckInterval"/> it compares the files' times
/// and sizes with those of the loaded pair and loads them again when they differ. A pair that cannot be used (half
/// written, mismatched, a key others may read) is logged and the certificate in use stays; the next change is tried
/// again.
/// </summary>
public sealed partial class TlsCertificateReloader : IDisposable
{
    /// <summary>Least time between two looks at the files.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly TlsConfig _tls;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly List<X509Certificate2> _retired = [];
    private X509Certificate2 _current;
    private (DateTime, long, DateTime, long) _stamp;
    private long _nextCheck;

    /// <summary>Loads the pair now; throws as <see cref="TlsCertificateLoader.Load"/> does.</summary>
    public TlsCertificateReloader(TlsConfig tls, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(tls);
        _tls = tls;
        _time = time;
        _logger = logger;
        _stamp = Stamp();
        _current = TlsCertificateLoader.Load(tls);
        _nextCheck = time.GetTimestamp() + (long)(CheckInterval.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Times the certificate was loaded again after a change.</summary>
    public int Reloads { get; private set; }

    /// <summary>The certificate to serve (reloaded first when its files changed).</summary>
    public X509Certificate2 Current
    {
        get
        {
            lock (_lock)
            {
                var now = _time.GetTimestamp();
                if (now < _nextCheck)
                {
                    return _current;
                }

                _nextCheck = now + (long)(CheckInterval.TotalSeconds * _time.TimestampFrequency);
                var stamp = Stamp();
                if (stamp == _stamp)
                {
                    return _current;
                }

                _stamp = stamp;
                try
                {
                    var fresh = TlsCertificateLoader.Load(_tls);
                    // Connections still in a handshake may hold the old one: it is released with the reloader.
                    _retired.Add(_current);
                    _current = fresh;
                    Reloads++;
                    LogReloaded(_logger, _tls.CertFile, fresh.NotAfter.ToUniversalTime());
                }
                catch (ArgumentException ex)
                {
                    LogReloadFailed(_logger, ex.Message);
                }

                return _current;
            }
        }
    }

    /// <summary>Releases every certificate loaded.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _current.Dispose();
            foreach (var c in _retired)
            {
                c.Dispose();
            }

            _retired.Clear();
        }
    }

    private (DateTime, long, DateTime, long) Stamp()
    {
        var cert = new FileInfo(_tls.CertFile);
        var key = new FileInfo(_tls.KeyFile);
        return (cert.Exists ? cert.LastWriteTimeUtc : default, cert.Exists ? cert.Length : -1, key.Exists ? key.LastWriteTimeUtc : default, key.Exists ? key.Length : -1);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "tls: certificate {File} changed and was reloaded (valid until {NotAfter:u})")]
    private static partial void LogReloaded(ILogger logger, string file, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "tls: the changed certificate files cannot be used, still serving the previous one: {Error}")]
    private static partial void LogReloadFailed(ILogger logger, string error);
}
