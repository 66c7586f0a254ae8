using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Linode.Emulator.Api;

/// <summary>The request's page, page size and filter, checked together so that every problem is reported.</summary>
internal sealed class Paging
{
    public const int DefaultPageSize = 100;
    public const int MinPageSize = 25;
    public const int MaxPageSize = 500;

    private Paging(int page, int pageSize, XFilter filter)
    {
        Page = page;
        PageSize = pageSize;
        Filter = filter;
    }

    public int Page { get; }

    public int PageSize { get; }

    public XFilter Filter { get; }

    /// <summary>Reads <c>page</c>, <c>page_size</c> and <c>X-Filter</c>; throws one 400 listing every problem.
    /// Texts are chosen (the real ones were not found): "Must be an integer", "Must be 1 or greater",
    /// "Must be between 25 and 500".</summary>
    public static Paging From(HttpRequest request, IReadOnlySet<string> filterable)
    {
        var problems = new Problems();
        var page = ReadInt(request, "page", 1, problems);
        if (page < 1 && !problems.Has("page"))
        {
            problems.Add("page", "Must be 1 or greater");
        }
        var pageSize = ReadInt(request, "page_size", DefaultPageSize, problems);
        if (pageSize is < MinPageSize or > MaxPageSize && !problems.Has("page_size"))
        {
            problems.Add("page_size", $"Must be between {MinPageSize} and {MaxPageSize}");
        }
        var filter = XFilter.Parse(request.Headers["X-Filter"].ToString(), filterable, problems);
        problems.ThrowIfAny();
        return new Paging(page, pageSize, filter);
    }

    /// <summary>The envelope <c>{data, page, pages, results}</c>. A page past the end gives the last page, and an
    /// empty list is page 1 of 1 (the real API never says <c>pages: 0</c>).</summary>
    public JsonObject Envelope(IEnumerable<JsonObject> items)
    {
        var matched = Filter.Apply(items).ToList();
        var pages = Math.Max(1, (matched.Count + PageSize - 1) / PageSize);
        var page = Math.Min(Page, pages);
        var data = new JsonArray();
        foreach (var item in matched.Skip((page - 1) * PageSize).Take(PageSize))
        {
            data.Add(item);
        }
        return new JsonObject
        {
            ["data"] = data,
            ["page"] = page,
            ["pages"] = pages,
            ["results"] = matched.Count,
        };
    }

    private static int ReadInt(HttpRequest request, string name, int fallback, Problems problems)
    {
        var raw = request.Query[name];
        if (raw.Count == 0 || string.IsNullOrEmpty(raw[0]))
        {
            return fallback;
        }
        if (long.TryParse(raw[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            // "If page exceeds 2^64/page_size, the last possible page will be returned": clamp, never overflow.
            return (int)Math.Clamp(value, int.MinValue, int.MaxValue);
        }
        if (raw[0]!.All(char.IsAsciiDigit))
        {
            return int.MaxValue;
        }
        problems.Add(name, "Must be an integer");
        return fallback;
    }
}
