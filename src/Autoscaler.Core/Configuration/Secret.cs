namespace Autoscaler.Core.Configuration;

/// <summary>
/// A configuration value that must never reach a log, an error message or a dump: <see cref="ToString"/> is redacted
/// and the value is only available through <see cref="Reveal"/>, so every use of the real value is visible in code.
/// </summary>
public sealed class Secret : IEquatable<Secret>
{
    /// <summary>What every rendering of a secret shows instead of its value.</summary>
    public const string Redacted = "***";

    private readonly string _value;

    /// <summary>Wraps <paramref name="value"/>.</summary>
    public Secret(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _value = value;
    }

    /// <summary>The real value; call it only where the value is sent to its consumer (an HTTP header, a comparison).</summary>
    public string Reveal() => _value;

    /// <summary>True when the value is the empty string.</summary>
    public bool IsEmpty => _value.Length == 0;

    /// <summary>Always <see cref="Redacted"/>.</summary>
    public override string ToString() => Redacted;

    /// <inheritdoc />
    public bool Equals(Secret? other) => other is not null && string.Equals(_value, other._value, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Secret);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(_value);
}
