using System.Text.Json.Nodes;
using Linode.Emulator.Catalog;
using Microsoft.AspNetCore.Routing;

namespace Linode.Emulator.Api;

/// <summary>Regions, plans and images: fixed data, paginated and filterable like every collection.</summary>
internal static class CatalogRoutes
{
    public static void MapCatalog(this IEndpointRouteBuilder app, ApiContext api)
    {
        var catalog = api.State.Catalog;

        app.Map(api, "GET", "/regions", Access.Public, r =>
            Task.FromResult<JsonNode>(Paging.From(r.Http.Request, LinodeCatalog.RegionFilterable)
                .Envelope(catalog.Regions.Select(x => x.ToJson()))));

        app.Map(api, "GET", "/regions/{regionId}", Access.Public, r =>
            Task.FromResult<JsonNode>(catalog.FindRegion(r.Route("regionId"))?.ToJson() ?? throw ApiException.NotFound()));

        app.Map(api, "GET", "/linode/types", Access.Public, r =>
            Task.FromResult<JsonNode>(Paging.From(r.Http.Request, LinodeCatalog.TypeFilterable)
                .Envelope(catalog.Types.Select(x => x.ToJson()))));

        app.Map(api, "GET", "/linode/types/{typeId}", Access.Public, r =>
            Task.FromResult<JsonNode>(catalog.FindType(r.Route("typeId"))?.ToJson() ?? throw ApiException.NotFound()));

        // Without a token only public images show (SUBSET.md §1).
        app.Map(api, "GET", "/images", Access.Optional, r =>
            Task.FromResult<JsonNode>(Paging.From(r.Http.Request, LinodeCatalog.ImageFilterable)
                .Envelope(catalog.Images.Where(i => i.IsPublic || r.Authenticated).Select(x => x.ToJson()))));

        // The id holds a slash: linodego sends it escaped (linode%2Fdebian12, which Kestrel leaves encoded),
        // others send it plain (linode/debian12); both arrive here.
        app.Map(api, "GET", "/images/{**imageId}", Access.Optional, r =>
        {
            var id = r.Route("imageId").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
            var image = catalog.FindImage(id);
            if (image is null || (!image.IsPublic && !r.Authenticated))
            {
                throw ApiException.NotFound();
            }
            return Task.FromResult<JsonNode>(image.ToJson());
        });
    }
}
