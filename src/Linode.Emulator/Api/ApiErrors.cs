using System.Text.Json.Nodes;

namespace Linode.Emulator.Api;

// Error texts. "[obs]" = seen in responses of the real API (recorded cassettes, issue reports); everything else is
// chosen here in the real API's style because no real sample was found. Sources of the observed ones:
//   "Invalid Token" (401), "Not found" (404), "Linode busy.", "Too many requests" - SUBSET.md, linodego cassettes
//   "Cannot filter on <field>" (field X-Filter) - linodego ExampleListImages_badfilter.yaml
//   "<field> is required" - terraform-provider-linode#22 ("label is required" on a node), linode-api-docs#255
//   "Length must be 11-128 characters", "Password does not meet strength requirement." (root_pass) - attacksurge/ax#13
//   "A valid plan type by that ID was not found" (type) - linode_api4-python#263
//   "region is not valid", "image is not valid" - linode-cli#62, linode-cli#61
//   "Must be in address:port format" (configs[0].nodes[0].address) - linode-cloud-controller-manager#160
//   "Label must be unique among your linodes" - a recorded 400 quoted in a third-party report
//   "Invalid JSON" (malformed body) - home-assistant/core#13863
//   "Internal server error" (500) - linode_api4-python#69

/// <summary>One entry of the <c>errors</c> array.</summary>
internal sealed record ApiError(string Reason, string? Field = null)
{
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["reason"] = Reason };
        if (Field is not null)
        {
            o["field"] = Field;
        }
        return o;
    }
}

/// <summary>Ends a request with an error response.</summary>
internal sealed class ApiException : Exception
{
    public ApiException()
        : this(500, [new ApiError("Internal server error")])
    {
    }

    public ApiException(string message)
        : this(400, [new ApiError(message)])
    {
    }

    public ApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = 500;
        Errors = [new ApiError("Internal server error")];
    }

    public ApiException(int status, IReadOnlyList<ApiError> errors)
        : base(string.Join("; ", errors.Select(e => e.Field is null ? e.Reason : $"{e.Field}: {e.Reason}")))
    {
        Status = status;
        Errors = errors;
    }

    public int Status { get; }

    public IReadOnlyList<ApiError> Errors { get; }

    public static ApiException NotFound() => new(404, [new ApiError("Not found")]);

    public static ApiException Busy() => new(400, [new ApiError("Linode busy.")]);

    public static ApiException Unauthorized() => new(401, [new ApiError("Invalid Token")]);

    public static ApiException BadRequest(string reason, string? field = null) => new(400, [new ApiError(reason, field)]);

    public JsonObject ToJson()
    {
        var list = new JsonArray();
        foreach (var e in Errors)
        {
            list.Add(e.ToJson());
        }
        return new JsonObject { ["errors"] = list };
    }
}

/// <summary>Collects validation errors so that a request with several bad fields gets them all at once.</summary>
internal sealed class Problems
{
    private readonly List<ApiError> _errors = [];

    public bool Any => _errors.Count > 0;

    public int Count => _errors.Count;

    public void Add(string? field, string reason) => _errors.Add(new ApiError(reason, field));

    public bool Has(string field) => _errors.Any(e => e.Field == field);

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ApiException(400, _errors.ToList());
        }
    }
}
