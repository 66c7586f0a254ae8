using Autoscaler.Core.Configuration;

namespace Autoscaler.Service.Configuration;

/// <summary>The service's view of a configuration: its own section's settings, read as if they were the configuration's.</summary>
public static class ServiceConfigExtensions
{
    extension(AutoscalerConfig config)
    {
        /// <summary>The service's settings (the defaults when the configuration was built without them).</summary>
        public ServiceConfig Service => config.Sections.Find<ServiceConfig>() ?? ServiceConfig.Default;

        /// <summary>host:port the service listens on.</summary>
        public string Listen => config.Service.Listen;

        /// <summary>TLS of the listener, when set.</summary>
        public TlsConfig? Tls => config.Service.Tls;

        /// <summary>The Alertmanager webhook receiver.</summary>
        public WebhookConfig Webhook => config.Service.Webhook;

        /// <summary>The HTTP API.</summary>
        public ApiConfig Api => config.Service.Api;

        /// <summary>The SQLite journal.</summary>
        public JournalConfig Journal => config.Service.Journal;

        /// <summary>The dashboard's sampling.</summary>
        public DashboardConfig Dashboard => config.Service.Dashboard;

        /// <summary>The am-executor commands.</summary>
        public IReadOnlyList<CommandConfig> Commands => config.Service.Commands;

        /// <summary>This configuration with the service's settings changed by <paramref name="change"/>.</summary>
        public AutoscalerConfig WithService(Func<ServiceConfig, ServiceConfig> change)
        {
            ArgumentNullException.ThrowIfNull(change);
            return config.WithSection(change(config.Service));
        }
    }
}

/// <summary>The service's settings of a pool.</summary>
public static class ServicePoolConfigExtensions
{
    extension(PoolConfig pool)
    {
        /// <summary>The queries the dashboard charts for this pool, or null when none.</summary>
        public PoolDashboardConfig? Dashboard => pool.Sections.Find<PoolDashboardConfig>();
    }
}
