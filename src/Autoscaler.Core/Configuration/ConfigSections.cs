using System.Text;

namespace Autoscaler.Core.Configuration;

/// <summary>
/// The sections other units read from the file, each kept under its own type: Core stores and describes them but never
/// looks inside. Immutable; <see cref="With{T}"/> gives a copy with one section replaced.
/// </summary>
public sealed class ConfigSections
{
    private readonly IConfigSectionValue[] _values;

    private ConfigSections(IConfigSectionValue[] values) => _values = values;

    /// <summary>No section.</summary>
    public static ConfigSections Empty { get; } = new([]);

    /// <summary>Every section, in the order they were read.</summary>
    public IReadOnlyList<IConfigSectionValue> All => _values;

    /// <summary>The section of type <typeparamref name="T"/>, or null.</summary>
    public T? Find<T>()
        where T : class, IConfigSectionValue =>
        _values.OfType<T>().FirstOrDefault();

    /// <summary>A copy where <paramref name="value"/> replaces the section of its type (or is added last).</summary>
    public ConfigSections With<T>(T value)
        where T : class, IConfigSectionValue
    {
        ArgumentNullException.ThrowIfNull(value);
        var index = Array.FindIndex(_values, v => v.GetType() == value.GetType());
        if (index < 0)
        {
            return new ConfigSections([.. _values, value]);
        }

        var copy = (IConfigSectionValue[])_values.Clone();
        copy[index] = value;
        return new ConfigSections(copy);
    }
}
