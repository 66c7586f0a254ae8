using Autoscaler.Load;
using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;
using Linode.Emulator;

namespace Autoscaler.Cli.Tests;

/// <summary>One duration syntax: the autoscaler's YAML, the command line and the emulator's YAML accept and refuse the
/// same text, with the same value.</summary>
public sealed class DurationSyntaxTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250ms", 250)]
    [InlineData("2d", 172_800_000)]
    public void Duration_AcceptedForm_SameValueInYamlCliAndEmulator(string text, double milliseconds)
    {
        var expected = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Equal(expected, Yaml(text));
        Assert.True(DurationText.TryParse(text, out var cli));
        Assert.Equal(expected, cli);
        Assert.Equal(expected, Emulator(text, out var errors));
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("00:01:00", "write 1m")]
    [InlineData("90", "write 90s")]
    [InlineData("5M", "write 5m")]
    [InlineData("soon", null)]
    public void Duration_RefusedForm_RefusedEverywhereWithTheSameHint(string text, string? hint)
    {
        var yaml = Parse(text);
        Assert.False(yaml.IsValid);
        var yamlError = Assert.Single(yaml.Errors).Message;
        Assert.False(DurationText.TryParse(text, out _));
        var cliHint = DurationText.Hint(text);
        Emulator(text, out var emulatorErrors);
        var emulatorError = Assert.Single(emulatorErrors);
        if (hint is null)
        {
            Assert.Equal("", cliHint);
            return;
        }

        Assert.Contains(hint, yamlError, StringComparison.Ordinal);
        Assert.Contains(hint, cliHint, StringComparison.Ordinal);
        Assert.Contains(hint, emulatorError, StringComparison.Ordinal);
    }

    private static ConfigResult Parse(string duration) => ServiceSchema.Parse($$"""
        linode: { token: t }
        engine: { evaluation_interval: "{{duration}}" }
        pools:
          web: { region: r, type: t, image: i, min: 1, max: 2, nodebalancer: { label: nb, port: 80 } }
        """, new Dictionary<string, string>());

    private static TimeSpan? Yaml(string duration)
    {
        var result = Parse(duration);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Config.Engine.EvaluationInterval;
    }

    private static TimeSpan? Emulator(string duration, out IReadOnlyList<string> errors)
    {
        var path = Path.Combine(Path.GetTempPath(), $"emulator-duration-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"delays: {{ booting: \"{duration}\" }}\n");
        try
        {
            var options = EmulatorOptions.Load(path);
            errors = options.Validate();
            return options.Delays.Booting;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
