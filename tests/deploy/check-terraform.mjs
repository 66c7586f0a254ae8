// Parses every deploy/terraform/*.tf with @cdktf/hcl2json (HashiCorp's HCL parser compiled to WebAssembly) and
// checks that the baseline the seed needs is there and wired as deploy/README.md says.
// Usage: node check-terraform.mjs DIR [OUT.json]   (OUT: the merged JSON, for the cloud-init check)
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "@cdktf/hcl2json";

const dir = process.argv[2];
const out = process.argv[3];
const failures = [];
let checks = 0;
const check = (ok, what) => {
  checks++;
  if (!ok) failures.push(what);
};

const files = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
for (const required of ["main.tf", "variables.tf", "outputs.tf", "versions.tf"]) {
  check(files.includes(required), `${required} exists`);
}

// Blocks of the same kind from every file, merged the way Terraform reads a module.
const merged = {};
for (const file of files) {
  let json;
  try {
    json = await parse(file, readFileSync(join(dir, file), "utf8"));
  } catch (e) {
    failures.push(`${file} parses: ${String(e.message ?? e).split("\n")[0]}`);
    continue;
  }
  for (const [kind, body] of Object.entries(json)) {
    if (kind === "resource" || kind === "data") {
      merged[kind] ??= {};
      for (const [type, named] of Object.entries(body)) {
        merged[kind][type] ??= {};
        for (const [name, blocks] of Object.entries(named)) {
          check(!(name in merged[kind][type]), `${kind} ${type}.${name} is declared once`);
          merged[kind][type][name] = blocks[0];
        }
      }
    } else if (kind === "locals") {
      merged.locals = Object.assign(merged.locals ?? {}, ...body);
    } else if (kind === "variable" || kind === "output") {
      merged[kind] ??= {};
      for (const [name, blocks] of Object.entries(body)) {
        check(!(name in merged[kind]), `${kind} ${name} is declared once`);
        merged[kind][name] = blocks[0];
      }
    } else {
      merged[kind] = [...(merged[kind] ?? []), ...(Array.isArray(body) ? body : [body])];
    }
  }
}

const res = (type, name) => merged.resource?.[type]?.[name];
const need = (type, name) => {
  const r = res(type, name);
  check(r !== undefined, `resource ${type}.${name} exists`);
  return r ?? {};
};
const text = (v) => JSON.stringify(v ?? "");
const ignored = (r) => (r.lifecycle?.[0]?.ignore_changes ?? []).map((x) => x.replace(/^\$\{|\}$/g, ""));

// Provider and versions.
const providers = (merged.terraform ?? []).flatMap((t) => t.required_providers ?? []);
const linodeProvider = providers.map((p) => p.linode).find(Boolean);
check(linodeProvider?.source === "linode/linode", "required_providers.linode.source is linode/linode");
check(/\d/.test(linodeProvider?.version ?? ""), "the linode provider version is constrained");
check((merged.provider ?? []).some((p) => p.linode), 'provider "linode" is configured');

// Variables the README and the templates rely on.
for (const v of ["linode_token", "autoscaler_linode_token", "region", "bucket_region", "web_type", "web_count",
  "autoscale_min", "autoscale_max", "monitoring_type", "authorized_keys", "admin_cidrs_ipv4", "image", "prefix"]) {
  check(merged.variable?.[v] !== undefined, `variable ${v} is declared`);
  check(typeof merged.variable?.[v]?.description === "string", `variable ${v} has a description`);
}
for (const v of ["linode_token", "autoscaler_linode_token"]) {
  check(merged.variable?.[v]?.sensitive === true, `variable ${v} is sensitive`);
}
check(merged.variable?.web_count?.default >= 2, "web_count defaults to at least 2 web instances");

// NodeBalancer and its config: port 80, HTTP check on /health.
need("linode_nodebalancer", "web");
const nbConfig = need("linode_nodebalancer_config", "web");
check(nbConfig.port === 80, "the NodeBalancer config listens on port 80");
check(nbConfig.check === "http" && nbConfig.check_path === "/health", "the NodeBalancer config checks GET /health");
check(text(nbConfig.nodebalancer_id).includes("linode_nodebalancer.web.id"), "the config belongs to the NodeBalancer");

// Passive checks off: the app answers 503 when its queue is full, and a passive check would eject it for that.
check(nbConfig.check_passive === false, "the NodeBalancer config has check_passive = false (no 503 cascade under load)");
// The NodeBalancer is behind its firewall from creation (firewall_id), not attached later.
const nb = need("linode_nodebalancer", "web");
check(text(nb.firewall_id).includes("linode_firewall.nodebalancer.id"), "the NodeBalancer gets its firewall_id at creation");

// Bounds and region: preconditions (a `check` block only warns and the bad values would still apply).
check(!(merged.check ?? []).length, "no `check` blocks: bad inputs must stop the apply (preconditions)");
const preconditions = Object.values(merged.resource ?? {}).flatMap((named) => Object.values(named))
  .flatMap((r) => r.lifecycle?.[0]?.precondition ?? []);
const cond = (p) => text(p.condition);
check(preconditions.some((p) => cond(p).includes("local.autoscale_min") && cond(p).includes("var.autoscale_max")),
  "a precondition holds web_count <= autoscale_min <= autoscale_max");
const region = merged.data?.linode_region?.selected;
check(region !== undefined && text(region.id).includes("var.region"), "a linode_region data source reads var.region");
check(preconditions.some((p) => cond(p).includes("data.linode_region.selected.capabilities") && cond(p).includes("Metadata")),
  "a precondition requires the region's Metadata capability (cloud-init's user data)");

// Labels: Linode refuses "--"; every label is prefix + "-…", so the prefix may neither hold "--" nor end in "-".
const prefixRule = text(merged.variable?.prefix?.validation?.[0]?.condition);
const prefixRegex = /regex\(\\"(.*?)\\", var\.prefix\)/.exec(prefixRule)?.[1]?.replace(/\\\\/g, "\\");
let re = null;
try {
  re = prefixRegex ? new RegExp(prefixRegex) : null;
} catch {
  re = null;
}
check(re !== null, `variable prefix is validated by a regex (${prefixRule})`);
if (re) {
  for (const ok of ["autoscaler", "web-1", "a1"]) check(re.test(ok), `prefix '${ok}' is accepted`);
  for (const bad of ["a--b", "web-", "-web", "Web"]) check(!re.test(bad), `prefix '${bad}' is refused (Linode labels)`);
}

// Baseline web instances: count = var.web_count, pool tag and protection tag, firewall, user data, ignore_changes.
const web = need("linode_instance", "web");
check(web.count === "${var.web_count}", "linode_instance.web has count = var.web_count");
check(text(web.tags).includes("local.pool_tag") && text(web.tags).includes("local.protection_tag"),
  "the baseline carries the pool tag and the protection tag");
check(merged.locals?.pool_tag === "autoscaler:web", 'local.pool_tag is "autoscaler:web"');
check(merged.locals?.protection_tag === "autoscaler:protected", 'local.protection_tag is "autoscaler:protected"');
check(web.private_ip === true, "web instances get a private IPv4 (NodeBalancer nodes need one)");
check(text(web.firewall_id).includes("linode_firewall.web.id"), "web instances boot behind the web firewall");
check(text(web.metadata).includes("local.app_user_data"), "web instances boot with the app's cloud-init");
check(ignored(web).includes("metadata"), "linode_instance.web ignores changes to metadata");
const node = need("linode_nodebalancer_node", "web");
check(node.count === "${var.web_count}", "one NodeBalancer node per baseline instance");
check(text(node.address).includes("private_ip_address") && text(node.address).includes(":8080"),
  "nodes point at private IPv4:8080");
check(!/^\$\{?web-/.test(node.label ?? "") && !(node.label ?? "").startsWith("web-"),
  "Terraform's node labels do not carry the autoscaler's mark (label prefix 'web-')");

// No autoscaled capacity under count: nothing but the baseline may count instances.
for (const [name, r] of Object.entries(merged.resource?.linode_instance ?? {})) {
  if (r.count !== undefined) {
    check(r.count === "${var.web_count}", `linode_instance.${name}: count is the baseline (var.web_count) only`);
  }
}

// The monitoring node.
const mon = need("linode_instance", "monitoring");
check(text(mon.metadata).includes("local.monitoring_user_data"), "the monitoring node boots with its cloud-init");
check(ignored(mon).includes("metadata"), "linode_instance.monitoring ignores changes to metadata");

// Firewalls: 80 to the NodeBalancer, 8080 from the NodeBalancer range, 9100 from the monitoring node, 22 from admins.
const inbound = (r) => [...(r.inbound ?? []), ...((r.dynamic?.[0]?.inbound ?? r.dynamic?.inbound ?? [])
  .flatMap((d) => d.content ?? []))];
const fwNb = need("linode_firewall", "nodebalancer");
check(fwNb.nodebalancers === undefined, "the NodeBalancer firewall does not list it (it attaches at creation)");
check(inbound(fwNb).some((r) => r.ports === "80" && r.action === "ACCEPT"), "the NodeBalancer firewall allows 80");
const fwWeb = need("linode_firewall", "web");
check(fwWeb.inbound_policy === "DROP", "the web firewall drops by default");
const webRules = inbound(fwWeb);
const rule = (port) => webRules.find((r) => r.ports === port);
check(rule("8080") && text(rule("8080").ipv4).includes("nodebalancer_backend_cidr"),
  "the web firewall opens 8080 to the NodeBalancer backend range only");
check(rule("9100") && text(rule("9100").ipv4).includes("linode_instance.monitoring") &&
  !text(rule("9100").ipv4).includes("0.0.0.0/0"), "the web firewall opens 9100 to the monitoring node only");
check(rule("22") && text(rule("22").ipv4).includes("var.admin_cidrs_ipv4"), "SSH is open to admin_cidrs_ipv4 only");
check(ignored(fwWeb).includes("linodes"), "the web firewall ignores its device list (the autoscaler's instances)");
need("linode_firewall", "monitoring");

// Artifact bucket and its keys.
need("linode_object_storage_bucket", "artifacts");
const readKey = need("linode_object_storage_key", "artifacts_read");
check(text(readKey.bucket_access).includes("read_only"), "instances fetch artifacts with a read-only key");
check(text(need("linode_object_storage_key", "artifacts_publish").bucket_access).includes("read_write"),
  "the publisher key can write the bucket");

// Template inputs: the maps handed to templatefile() are what the check of cloud-init renders with.
check(text(merged.locals?.app_user_data).includes("cloud-init/app.yaml"), "app_user_data renders cloud-init/app.yaml");
check(text(merged.locals?.monitoring_user_data).includes("cloud-init/monitoring.yaml"),
  "monitoring_user_data renders cloud-init/monitoring.yaml");
check(typeof merged.locals?.app_user_data_vars === "object", "local.app_user_data_vars is a map");
check(typeof merged.locals?.monitoring_user_data_vars === "object", "local.monitoring_user_data_vars is a map");

// Outputs the README and the scripts read.
for (const o of ["nodebalancer_hostname", "monitoring_ipv4", "artifact_bucket_hostname", "artifact_bucket_cluster",
  "artifact_publisher_access_key", "artifact_publisher_secret_key", "autoscaler_api_token", "webhook_token"]) {
  check(merged.output?.[o] !== undefined, `output ${o} exists`);
}
for (const o of ["artifact_publisher_secret_key", "autoscaler_api_token", "webhook_token"]) {
  check(merged.output?.[o]?.sensitive === true, `output ${o} is sensitive`);
}

if (out) writeFileSync(out, JSON.stringify(merged, null, 2));
const resources = Object.values(merged.resource ?? {}).reduce((n, named) => n + Object.keys(named).length, 0);
console.log(`terraform: ${files.length} files parsed (${files.join(", ")}), ${resources} resources, ` +
  `${Object.keys(merged.variable ?? {}).length} variables, ${checks - failures.length}/${checks} assertions hold`);
for (const f of failures) console.log(`  FAILED: ${f}`);
process.exit(failures.length === 0 ? 0 : 1);
