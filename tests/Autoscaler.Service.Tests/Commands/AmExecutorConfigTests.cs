using Autoscaler.Core.Configuration;
using Autoscaler.Service.Configuration;

namespace Autoscaler.Service.Tests.Commands;

public sealed class AmExecutorConfigTests
{
    private static string Example()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "examples", "am-executor.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("examples/am-executor.yaml not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Load_Example_ListenAndCommandsRead()
    {
        var result = AmExecutorConfig.Load(Example());

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("127.0.0.1:8080", result.Config.Listen);
        Assert.Equal(2, result.Config.Commands.Count);
        var scale = result.Config.Commands[0];
        Assert.Equal("/usr/local/bin/scale-web", scale.Cmd);
        Assert.Equal(["up", "--by", "1"], scale.Args);
        Assert.Equal(1, scale.Max);
        Assert.Equal(15, scale.ResolvedSignal);
        Assert.Equal(TimeSpan.FromMinutes(2), scale.Timeout);
        Assert.True(result.Config.Commands[1].IgnoreResolved);
    }

    [Fact]
    public void Parse_NoListenAddress_AmExecutorDefaultEveryInterface()
    {
        var result = AmExecutorConfig.Parse("commands: [ { cmd: /bin/true } ]");

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal(":8080", result.Config.ListenAddress);
        Assert.Equal("0.0.0.0:8080", result.Config.Listen);
    }

    [Fact]
    public void Parse_NoCommandsAndUnknownKey_BothReported()
    {
        var result = AmExecutorConfig.Parse("listen_address: ':9095'\nlisten_adress: ':1'\n");

        Assert.False(result.IsValid);
        var text = string.Join("\n", result.Errors);
        Assert.Contains("listen_adress", text, StringComparison.Ordinal);
        Assert.Contains("commands", text, StringComparison.Ordinal);
    }
}
