using System.Text.RegularExpressions;

namespace Linode.Emulator.Api;

/// <summary>Field rules shared by several endpoints. See ApiErrors.cs for which texts are observed and which chosen.</summary>
internal static partial class Rules
{
    public const string LinodeLabelRule =
        "Must begin with a letter, end with a letter or number, and contain only letters, numbers, '-', '_' and '.', "
        + "with no '--', '__' or '..'";

    /// <summary>Linode labels: 3–64 characters, pattern <c>^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9-_.])+$</c>, ending
    /// with an alphanumeric character.</summary>
    public static void LinodeLabel(string label, string field, Problems problems)
    {
        if (label.Length is < 3 or > 64)
        {
            problems.Add(field, "Length must be 3-64 characters");
        }
        if (!LinodeLabelPattern().IsMatch(label) || !char.IsAsciiLetterOrDigit(label[^1]))
        {
            problems.Add(field, LinodeLabelRule);
        }
    }

    /// <summary>NodeBalancer labels: 3–32 of <c>[a-zA-Z0-9-_]</c>.</summary>
    public static void NodeBalancerLabel(string label, string field, Problems problems)
    {
        if (label.Length is < 3 or > 32)
        {
            problems.Add(field, "Length must be 3-32 characters");
        }
        if (!NodeBalancerLabelPattern().IsMatch(label))
        {
            problems.Add(field, "Must contain only letters, numbers, '-' and '_'");
        }
    }

    /// <summary>NodeBalancer node labels: 3–32 of <c>[a-zA-Z0-9-_.]</c>.</summary>
    public static void NodeLabel(string label, string field, Problems problems)
    {
        if (label.Length is < 3 or > 32)
        {
            problems.Add(field, "Length must be 3-32 characters");
        }
        if (!NodeLabelPattern().IsMatch(label))
        {
            problems.Add(field, "Must contain only letters, numbers, '-', '_' and '.'");
        }
    }

    /// <summary>Tags: 3–50 characters each (the limit POST /tags documents).</summary>
    public static void Tags(IReadOnlyList<string> tags, string field, Problems problems)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (tags[i].Length is < 3 or > 50)
            {
                problems.Add($"{field}[{i}]", "Length must be 3-50 characters");
            }
        }
    }

    /// <summary>
    /// root_pass. The live API scores passwords internally (zxcvbn-like) and asks for 11–128 characters [obs]. This
    /// rule is chosen to behave alike on ordinary inputs: strong when it has at least 11 characters, 6 distinct ones,
    /// and either 3 character classes (lower, upper, digit, other) or, for a passphrase, 16+ characters with 2
    /// classes; a few notorious passwords are always weak. Both errors can come back together, as observed.
    /// </summary>
    public static void RootPassword(string password, string field, Problems problems)
    {
        if (password.Length is < 11 or > 128)
        {
            problems.Add(field, "Length must be 11-128 characters");
        }
        if (!IsStrong(password))
        {
            problems.Add(field, "Password does not meet strength requirement.");
        }
    }

    public static bool IsStrong(string password)
    {
        if (password.Length < 11 || password.Distinct().Count() < 6)
        {
            return false;
        }
        var lowered = password.ToLowerInvariant();
        string[] notorious = ["password", "12345678", "qwerty", "letmein", "linode"];
        if (notorious.Any(n => lowered.Contains(n, StringComparison.Ordinal)) && password.Length < 16)
        {
            return false;
        }
        var classes = (password.Any(char.IsAsciiLetterLower) ? 1 : 0)
            + (password.Any(char.IsAsciiLetterUpper) ? 1 : 0)
            + (password.Any(char.IsAsciiDigit) ? 1 : 0)
            + (password.Any(c => !char.IsAsciiLetterOrDigit(c)) ? 1 : 0);
        return classes >= 3 || (classes >= 2 && password.Length >= 16);
    }

    public static string OneOf(IEnumerable<string> values) => "Must be one of " + string.Join(", ", values);

    [GeneratedRegex(@"^[a-zA-Z]((?!--|__|\.\.)[a-zA-Z0-9\-_.])+$")]
    private static partial Regex LinodeLabelPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9\-_]+$")]
    private static partial Regex NodeBalancerLabelPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9\-_.]+$")]
    private static partial Regex NodeLabelPattern();
}
