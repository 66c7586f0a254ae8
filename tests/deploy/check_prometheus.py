"""Checks deploy/prometheus beyond what Debian's promtool can: the linode_sd variant's structure (Debian builds
Prometheus without linode_sd, so promtool cannot parse it), and the relabelling of both variants, by running
`promtool check service-discovery` on a copy whose discovery is replaced by file_sd holding targets shaped exactly as
linode_sd (or the autoscaler's /http_sd) produces them.

Usage: check_prometheus.py DEPLOY_DIR [REPO_ROOT]
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

from checklib import Tally

deploy = sys.argv[1]
repo = sys.argv[2] if len(sys.argv) > 2 else None
prom_dir = os.path.join(deploy, "prometheus")
t = Tally("prometheus")


def load(name):
    with open(os.path.join(prom_dir, name)) as f:
        return yaml.safe_load(f)


def job(config, name):
    return next((j for j in config.get("scrape_configs", []) if j.get("job_name") == name), None)


def relabel(j, **match):
    return [r for r in j.get("relabel_configs", []) if all(r.get(k) == v for k, v in match.items())]


# --- Structure of the linode_sd variant ---
linode = load("prometheus.linode_sd.yml")
node = job(linode, "node")
t.check(node is not None, "prometheus.linode_sd.yml has a scrape job 'node'")
node = node or {}
sds = node.get("linode_sd_configs", [])
t.check(len(sds) >= 1, "job 'node' discovers with linode_sd_configs")
for sd in sds:
    auth = sd.get("authorization", {})
    t.check(bool(auth.get("credentials_file")) and "credentials" not in auth and "bearer_token" not in sd,
            "linode_sd reads its token from a file (authorization.credentials_file), none inline")
    t.check(sd.get("port") == 9100, "linode_sd targets node_exporter's port 9100")
    unknown = set(sd) - {"authorization", "port", "refresh_interval", "tag_separator", "region", "proxy_url",
                         "follow_redirects", "enable_http2", "tls_config", "oauth2"}
    t.check(not unknown, f"linode_sd_configs has only fields upstream Prometheus knows (unknown: {sorted(unknown)})")
    t.check(sd.get("tag_separator", ",") == ",", "tag separator is ',' as the relabel regexes assume")
t.check(any(r.get("action") == "keep" and r.get("source_labels") == ["__meta_linode_tags"] and ",autoscaler:" in r.get("regex", "")
            for r in node.get("relabel_configs", [])), "relabelling keeps instances by the pool tag in __meta_linode_tags")
t.check(any(r.get("target_label") == "__address__" and r.get("source_labels") == ["__meta_linode_private_ipv4"]
            for r in node.get("relabel_configs", [])), "the scrape address is the private IPv4")
for label, source in [("pool", "__meta_linode_tags"), ("instance", "__meta_linode_instance_label"),
                      ("region", "__meta_linode_region"), ("type", "__meta_linode_type")]:
    t.check(bool(relabel(node, target_label=label, source_labels=[source])), f"target label {label} comes from {source}")
for config_name, config in [("prometheus.linode_sd.yml", linode), ("prometheus.http_sd.yml", load("prometheus.http_sd.yml"))]:
    for rf in config.get("rule_files", []):
        t.check(os.path.isfile(os.path.join(prom_dir, rf)), f"{config_name}: rule file {rf} exists beside it")
    targets = [tg for am in config.get("alerting", {}).get("alertmanagers", []) for sc in am.get("static_configs", [])
               for tg in sc.get("targets", [])]
    t.check(targets == ["127.0.0.1:9093"], f"{config_name}: alerts go to the Alertmanager on the same node")

# --- Relabelling, run by promtool on file_sd copies ---
linode_targets = {
    # name: (tags, private ipv4, status) -> expected labels or None when dropped
    "web-a1b2c3d4": (["app:web", "autoscaler:web"], "192.168.130.10", "running"),
    "autoscaler-web-1": (["app:web", "autoscaler:protected", "autoscaler:web", "managed-by:terraform"], "192.168.130.11", "running"),
    "web-only-tag": (["autoscaler:web"], "192.168.130.12", "running"),
    "db-1": (["app:db"], "192.168.130.20", "running"),
    "webby-1": (["autoscaler:webby"], "192.168.130.21", "running"),
    "protected-elsewhere": (["autoscaler:protected"], "192.168.130.22", "running"),
    "web-booting": (["autoscaler:web"], "192.168.130.23", "provisioning"),
    "web-no-private": (["autoscaler:web"], "", "running"),
}
kept_linode = {"web-a1b2c3d4", "autoscaler-web-1", "web-only-tag"}


def linode_group(i, name, tags, private, status):
    public = f"198.51.100.{i + 10}"
    labels = {
        "__meta_linode_instance_id": str(1000 + i), "__meta_linode_instance_label": name,
        "__meta_linode_image": "linode/debian12", "__meta_linode_private_ipv4": private,
        "__meta_linode_public_ipv4": public, "__meta_linode_region": "us-east", "__meta_linode_type": "g6-standard-1",
        "__meta_linode_status": status, "__meta_linode_group": "", "__meta_linode_hypervisor": "kvm",
        "__meta_linode_backups": "disabled", "__meta_linode_specs_vcpus": "1",
        # As linode_sd builds it: the tags joined by the separator, with one more at each end.
        "__meta_linode_tags": "," + ",".join(tags) + "," if tags else "",
    }
    return {"targets": [f"{public}:9100"], "labels": labels}


def discover(config_name, job_name, replace_key, groups):
    config = copy.deepcopy(load(config_name))
    with tempfile.TemporaryDirectory() as d:
        shutil.copytree(os.path.join(prom_dir, "rules"), os.path.join(d, "rules"))
        with open(os.path.join(d, "targets.json"), "w") as f:
            json.dump(groups, f)
        j = job(config, job_name)
        del j[replace_key]
        j["file_sd_configs"] = [{"files": [os.path.join(d, "targets.json")]}]
        path = os.path.join(d, "prometheus.yml")
        with open(path, "w") as f:
            yaml.safe_dump(config, f)
        # The whole configuration, rule files included, as promtool checks it without --syntax-only.
        r = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True)
        t.check(r.returncode == 0, f"promtool check config on {config_name} with {replace_key} replaced by file_sd:\n{r.stdout}{r.stderr}")
        r = subprocess.run(["promtool", "check", "service-discovery", path, job_name], capture_output=True, text=True)
        if not t.check(r.returncode == 0, f"promtool check service-discovery {config_name} {job_name}:\n{r.stderr}"):
            return []
        return json.loads(r.stdout)


def public(labels):
    return {k: v for k, v in (labels or {}).items() if not k.startswith("__")} if labels else None


results = discover("prometheus.linode_sd.yml", "node", "linode_sd_configs",
                   [linode_group(i, n, *v) for i, (n, v) in enumerate(linode_targets.items())])
by_name = {r["discoveredLabels"].get("__meta_linode_instance_label"): r for r in results}
t.check(len(results) == len(linode_targets), f"service discovery saw all {len(linode_targets)} instances")
for i, name in enumerate(linode_targets):
    got = by_name.get(name, {}).get("labels")
    if name in kept_linode:
        t.check(got is not None and got.get("__address__") == f"{linode_targets[name][1]}:9100",
                f"linode_sd: {name} is scraped on its private IPv4:9100 (got {got and got.get('__address__')})")
        want = {"job": "node", "pool": "web", "instance": name, "instance_id": str(1000 + i), "region": "us-east",
                "type": "g6-standard-1"}
        t.check(public(got) == want, f"linode_sd: {name} has labels {want} (got {public(got)})")
    else:
        t.check(not got, f"linode_sd: {name} ({', '.join(linode_targets[name][0]) or 'no tags'}, "
                         f"{linode_targets[name][2]}, private '{linode_targets[name][1]}') is dropped (got {public(got)})")

# The autoscaler's /http_sd: one group per running member, public IPv4:9100 (loopback under the emulator).
http_groups = [
    {"targets": ["127.0.10.5:9100"], "labels": {"pool": "web", "instance_id": "101", "instance_label": "web-x1y2",
                                                "region": "us-east", "type": "g6-standard-1"}},
    {"targets": ["127.0.10.6:9100"], "labels": {"pool": "api", "instance_id": "102", "instance_label": "api-z3",
                                                "region": "us-east", "type": "g6-standard-2"}},
    {"targets": ["127.0.10.7:9100"], "labels": {"instance_id": "103"}},
]
results = discover("prometheus.http_sd.yml", "node", "http_sd_configs", http_groups)
got = {r["discoveredLabels"]["__address__"]: public(r.get("labels")) for r in results}
t.check(got.get("127.0.10.5:9100") == {"job": "node", "pool": "web", "instance": "web-x1y2", "instance_id": "101",
                                       "region": "us-east", "type": "g6-standard-1"},
        f"http_sd: a member keeps pool, region, type and takes its label as instance (got {got.get('127.0.10.5:9100')})")
t.check((got.get("127.0.10.6:9100") or {}).get("pool") == "api", "http_sd: every pool's members are scraped")
t.check(not got.get("127.0.10.7:9100"), "http_sd: a target without a pool label is dropped")

# The labels the http_sd relabelling reads are the ones the service writes: pool and instance_label by the service,
# region and type by the Linode provider (its pools' discovery labels).
if repo:
    writers = {
        os.path.join(repo, "src", "Autoscaler.Service", "Api", "ApiEndpoints.cs"): ["pool", "instance_label"],
        os.path.join(repo, "src", "Autoscaler.Linode", "Configuration", "LinodePoolConfig.cs"): ["region", "type"],
    }
    for source, labels in writers.items():
        t.check(os.path.isfile(source), f"{os.path.relpath(source, repo)} exists (it writes http_sd labels)")
        text = open(source).read() if os.path.isfile(source) else ""
        for label in labels:
            t.check(f'["{label}"]' in text, f"the service's /http_sd writes the label {label} ({os.path.basename(source)})")
    endpoints = next(iter(writers))
    t.check(os.path.isfile(endpoints) and '"/http_sd"' in open(endpoints).read(),
            "the service serves /http_sd, the URL prometheus.http_sd.yml reads")

t.finish("linode_sd structure checked by this script (Debian's promtool has no linode_sd), relabelling of both "
         "variants run by promtool check service-discovery")
