using System.Text;

namespace Autoscaler.Common;

/// <summary>
/// How log lines say values a person reads: an enum name as lower-case words (<c>ScaleUp</c> → <c>scale up</c>,
/// <c>AtMax</c> → <c>at max</c>), switches as on/off, answers as yes/no; durations go through
/// <see cref="Durations.Format"/> (<c>5s</c>, not <c>00:00:05</c>).
/// </summary>
public static class LogWords
{
    /// <summary><c>ScaleUp</c> → <c>scale up</c>.</summary>
    public static string Of<T>(T value) where T : struct, Enum => Words(value.ToString());

    /// <summary><c>on</c> or <c>off</c>.</summary>
    public static string OnOff(bool value) => value ? "on" : "off";

    /// <summary><c>yes</c> or <c>no</c>.</summary>
    public static string YesNo(bool value) => value ? "yes" : "no";

    /// <summary>PascalCase → lower-case words.</summary>
    public static string Words(string pascal)
    {
        ArgumentNullException.ThrowIfNull(pascal);
        var sb = new StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0 && pascal[i - 1] != ' ')
            {
                sb.Append(' ');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
