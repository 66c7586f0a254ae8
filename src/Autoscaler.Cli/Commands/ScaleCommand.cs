using System.CommandLine;
using System.Net.Http;
using Autoscaler.Service.Api;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler scale POOL --to N</c>: sets a pool's desired size through the running service.</summary>
internal static class ScaleCommand
{
    public static Command Create()
    {
        var pool = new Argument<string>("pool") { Description = "Pool name" };
        var to = new Option<int>("--to") { Description = "Desired size (within the pool's min and max)", Required = true };
        var url = StatusCommand.UrlOption();
        var token = new Option<string?>("--token")
        {
            Description = "Bearer token of the service's api.auth (or webhook.auth); default $AUTOSCALER_API_TOKEN",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AUTOSCALER_API_TOKEN"),
        };
        var basic = new Option<string?>("--basic") { Description = "USER:PASSWORD for basic auth instead of a token" };
        var command = new Command("scale", "Set a pool's desired size through the running service's API") { pool, to, url, token, basic };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string? authorization = null;
            if (parse.GetValue(basic) is { Length: > 0 } pair)
            {
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    await error.WriteLineAsync("scale: --basic must be USER:PASSWORD");
                    return 2;
                }

                authorization = AutoscalerApiClient.Basic(pair[..colon], pair[(colon + 1)..]);
            }
            else if (parse.GetValue(token) is { Length: > 0 } t)
            {
                authorization = AutoscalerApiClient.Bearer(t);
            }

            if (await StatusCommand.ParseUrlAsync(parse.GetValue(url), "scale", error) is not { } baseUrl)
            {
                return 2;
            }

            using var client = new AutoscalerApiClient(baseUrl, authorization);
            try
            {
                var result = await client.ScaleAsync(parse.GetValue(pool)!, parse.GetValue(to), cancellationToken);
                await output.WriteLineAsync($"pool {result.Pool}: desired {result.PreviousDesired} → {result.Desired} ({result.Message})");
                return 0;
            }
            catch (AutoscalerApiException ex)
            {
                var bounds = ex.Error is { Min: { } min, Max: { } max } ? $" (min {min}, max {max})" : "";
                await error.WriteLineAsync($"scale: {ex.Message}{bounds}");
                return 1;
            }
            catch (HttpRequestException ex)
            {
                await error.WriteLineAsync($"scale: cannot reach the service at {baseUrl}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
