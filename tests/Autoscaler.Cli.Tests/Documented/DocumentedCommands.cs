using System.Text.RegularExpressions;

namespace Autoscaler.Cli.Tests.Documented;

/// <summary>One shell command as a document shows it, with the document and the sequence it belongs to.</summary>
/// <param name="Source">"README.md" or "examples/autoscaler.emulator.yaml".</param>
/// <param name="Sequence">Commands of one code block or one file's comments run in one fresh checkout, in order.</param>
/// <param name="Text">The command exactly as written (continuation lines joined).</param>
public sealed record DocumentedCommand(string Source, string Sequence, string Text)
{
    /// <summary>The command without a trailing <c>&amp;</c> (and its comment): the harness keeps the process itself.</summary>
    public string Foreground => Background().Replace(Text, "");

    /// <summary>True when the document starts it in the background.</summary>
    public bool InBackground => Background().IsMatch(Text);

    /// <summary>The program and sub-command: "bin/linode-autoscaler serve", "curl", "make demo", "export".</summary>
    public string Verb
    {
        get
        {
            var words = Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return words[0] is "bin/linode-autoscaler" or "make" && words.Length > 1 ? words[0] + " " + words[1] : words[0];
        }
    }

    public override string ToString() => $"{Source}: {Text}";

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "SYSLIB1045", Justification = "Test code; a handful of calls.")]
    private static Regex Background() => new(@"\s&\s*(#.*)?$");
}

/// <summary>Finds every shell command README.md's <c>sh</c> blocks and the comments of examples/ show.</summary>
public static class DocumentedCommands
{
    /// <summary>Every command, in document order.</summary>
    public static IReadOnlyList<DocumentedCommand> All(string repoRoot)
    {
        var commands = new List<DocumentedCommand>();
        commands.AddRange(FromReadme(Path.Combine(repoRoot, "README.md")));
        foreach (var file in Directory.GetFiles(Path.Combine(repoRoot, "examples"), "*.yaml", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal))
        {
            commands.AddRange(FromYamlComments(file, "examples/" + Path.GetFileName(file)));
        }

        return commands;
    }

    private static IEnumerable<DocumentedCommand> FromReadme(string path)
    {
        // The blocks of one section run in one sequence: "The local Linode" starts the emulator in one block and
        // talks to it in the next.
        var lines = File.ReadAllLines(path);
        var section = "";
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith('#'))
            {
                section = lines[i].TrimStart('#').Trim();
            }

            if (lines[i].Trim() != "```sh")
            {
                continue;
            }

            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
            {
                body.Add(lines[i]);
            }

            foreach (var command in Join(body))
            {
                yield return new DocumentedCommand("README.md", $"README.md: {section}", command);
            }
        }
    }

    private static IEnumerable<DocumentedCommand> FromYamlComments(string path, string source)
    {
        // Commands are comment lines indented under the comment ("#   bin/linode-autoscaler …"), as the examples write them.
        var body = new List<string>();
        foreach (var line in File.ReadAllLines(path))
        {
            var m = Regex.Match(line, @"^#\s{2,}(?<cmd>\S.*)$");
            if (m.Success && (body.Count > 0 && body[^1].EndsWith('\\') || IsCommandStart(m.Groups["cmd"].Value)))
            {
                body.Add(m.Groups["cmd"].Value);
            }
        }

        return Join(body).Select(c => new DocumentedCommand(source, source, c));
    }

    private static bool IsCommandStart(string text) =>
        text.StartsWith("bin/", StringComparison.Ordinal) || text.StartsWith("curl ", StringComparison.Ordinal)
        || text.StartsWith("export ", StringComparison.Ordinal) || text.StartsWith("make ", StringComparison.Ordinal);

    /// <summary>Lines joined at trailing backslashes; blank and comment-only lines dropped.</summary>
    private static IEnumerable<string> Join(IEnumerable<string> lines)
    {
        var current = "";
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (current.Length == 0 && (line.Trim().Length == 0 || line.TrimStart().StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1].TrimEnd() + " ";
                continue;
            }

            yield return (current + line.Trim()).Trim();
            current = "";
        }
    }
}
