#!/usr/bin/env python3
"""Extract the operations the project uses from the official Linode OpenAPI spec into a small JSON file.

The contract tests validate the emulator's responses against these schemas. The full spec is 3.6 MB of YAML with
every schema inlined; this keeps only our operations, without prose, so the tests load fast and the repo does not
carry the whole document. Re-run when the spec is updated:

    python3 tools/extract-openapi-subset.py ../shared/linode-api/openapi.yaml spec/linode-openapi-subset.json
"""
import json
import sys

import yaml

OPERATIONS = {
    "/regions": ["get"],
    "/regions/{regionId}": ["get"],
    "/linode/types": ["get"],
    "/linode/types/{typeId}": ["get"],
    "/images": ["get"],
    "/images/{imageId}": ["get"],
    "/linode/instances": ["get", "post"],
    "/linode/instances/{linodeId}": ["get", "put", "delete"],
    "/linode/instances/{linodeId}/boot": ["post"],
    "/linode/instances/{linodeId}/shutdown": ["post"],
    "/linode/instances/{linodeId}/reboot": ["post"],
    "/linode/instances/{linodeId}/ips": ["get", "post"],
    "/linode/instances/{linodeId}/disks": ["get"],
    "/linode/instances/{linodeId}/disks/{diskId}": ["get"],
    "/linode/instances/{linodeId}/configs": ["get"],
    "/linode/instances/{linodeId}/configs/{configId}": ["get"],
    "/nodebalancers": ["get", "post"],
    "/nodebalancers/{nodeBalancerId}": ["get", "put", "delete"],
    "/nodebalancers/{nodeBalancerId}/configs": ["get", "post"],
    "/nodebalancers/{nodeBalancerId}/stats": ["get"],
    "/nodebalancers/{nodeBalancerId}/configs/{configId}": ["get", "put", "delete"],
    "/nodebalancers/{nodeBalancerId}/configs/{configId}/rebuild": ["post"],
    "/nodebalancers/{nodeBalancerId}/configs/{configId}/nodes": ["get", "post"],
    "/nodebalancers/{nodeBalancerId}/configs/{configId}/nodes/{nodeId}": ["get", "put", "delete"],
    "/networking/ips": ["get"],
    "/networking/ipv6/ranges": ["get"],
    "/account": ["get"],
    "/account/users": ["get"],
    "/account/users/{username}": ["get"],
    "/profile": ["get"],
    "/account/events": ["get"],
    "/account/events/{eventId}": ["get"],
    "/account/events/{eventId}/seen": ["post"],
    "/tags": ["get", "post"],
    "/tags/{tagLabel}": ["get", "delete"],
}

DROP = {"description", "example", "examples", "externalDocs", "summary", "title", "x-linode-cli-action",
        "x-linode-grant", "x-linode-cli-skip", "x-linode-cli-display", "x-linode-cli-format", "x-linode-ref-name",
        "x-linode-cli-model", "x-linode-cli-use-schema", "x-linode-redoc-load-ids", "x-akamai"}


def strip(node, is_properties=False):
    """Drops prose and CLI hints; inside a "properties" map every key is a field name and is kept (an image has a
    real field called "description")."""
    if isinstance(node, dict):
        if is_properties:
            return {k: strip(v) for k, v in node.items()}
        return {k: strip(v, is_properties=(k == "properties")) for k, v in node.items()
                if k not in DROP and not k.startswith("x-linode-cli")}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def main(src, dst):
    with open(src, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    out = {"openapi": spec["openapi"], "version": spec["info"]["version"], "operations": {}}
    for path, methods in OPERATIONS.items():
        item = spec["paths"]["/{apiVersion}" + path]
        for method in methods:
            op = item[method]
            responses = {}
            for status, resp in op.get("responses", {}).items():
                schema = resp.get("content", {}).get("application/json", {}).get("schema")
                responses[str(status)] = strip(schema) if schema is not None else None
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            out["operations"][f"{method.upper()} {path}"] = {
                "operationId": op.get("operationId"),
                "responses": responses,
                "requestBody": strip(body) if body is not None else None,
            }
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{len(out['operations'])} operations from spec {out['version']} -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
