using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Http;
using Autoscaler.Service.Api;

namespace Autoscaler.Cli.Commands;

/// <summary><c>linode-autoscaler scale POOL --to N</c>: sets a pool's desired size through the running service.</summary>
internal static class ScaleCommand
{
    /// <summary>The variable <c>--token</c> defaults to; read when the command runs, never shown in <c>--help</c>.</summary>
    public const string TokenVariable = "AUTOSCALER_API_TOKEN";

    public static Command Create()
    {
        var pool = new Argument<string>("pool") { Description = "Pool name", HelpName = "POOL" };
        var to = new Option<int>("--to") { Description = "Desired size (within the pool's min and max)", Required = true, HelpName = "N" };
        var url = StatusCommand.UrlOption();
        // No DefaultValueFactory: help would print the variable's value, a secret, as the default.
        var token = new Option<string?>("--token")
        {
            Description = $"Bearer token of the service's api.auth (default: ${TokenVariable})",
            HelpName = "TOKEN",
        };
        var basic = new Option<string?>("--basic") { Description = "Basic auth instead of a token, for an api.auth with basic", HelpName = "USER:PASSWORD" };
        var command = new Command("scale", "Set a pool's desired size through the running service's API (needs the service's "
            + "api.auth credentials)") { pool, to, url, token, basic };
        command.WithExamples(
            $"export {TokenVariable}=dev-api-token        # the api.auth bearer_token of the service's config",
            "linode-autoscaler scale web --to 4",
            "linode-autoscaler scale web --to 4 --url http://127.0.0.1:9099 --token dev-api-token");
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
                    return ExitCodes.Usage;
                }

                authorization = AutoscalerApiClient.Basic(pair[..colon], pair[(colon + 1)..]);
            }
            else if ((parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable)) is { Length: > 0 } t)
            {
                authorization = AutoscalerApiClient.Bearer(t);
            }

            var n = parse.GetValue(to);
            if (n < 0)
            {
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"scale: --to must be 0 or more, got {n}"));
                return ExitCodes.Usage;
            }

            if (await StatusCommand.ParseUrlAsync(parse.GetValue(url), "scale", error) is not { } baseUrl)
            {
                return ExitCodes.Usage;
            }

            using var client = new AutoscalerApiClient(baseUrl, authorization);
            try
            {
                var result = await client.ScaleAsync(parse.GetValue(pool)!, n, cancellationToken);
                await output.WriteLineAsync($"pool {result.Pool}: desired {result.PreviousDesired} → {result.Desired} ({result.Message})");
                return ExitCodes.Ok;
            }
            catch (AutoscalerApiException ex) when (ex.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            {
                var given = authorization is null ? "no credentials were given" : "the credentials given were refused";
                await error.WriteLineAsync($"scale: {ex.Message}: {given}; pass the token of api.auth in the service's config "
                    + $"with --token <TOKEN> or {TokenVariable} (or --basic <USER:PASSWORD> for basic auth)");
                return ExitCodes.Failure;
            }
            catch (AutoscalerApiException ex)
            {
                var bounds = ex.Error is { Min: { } min, Max: { } max } ? $" (min {min}, max {max})" : "";
                await error.WriteLineAsync($"scale: {ex.Message}{bounds}");
                return ExitCodes.Failure;
            }
            catch (HttpRequestException ex)
            {
                await error.WriteLineAsync($"scale: cannot reach the service at {baseUrl}: {ex.Message}; is serve running? (--url <URL>, its listen setting)");
                return ExitCodes.Failure;
            }
        });
        return command;
    }
}
