"""Renders deploy/cloud-init/*.yaml the way Terraform's templatefile() does, with the maps main.tf hands it, and checks
the result: #cloud-config first, YAML that parses, the packages and services, shell that passes shellcheck, the
monitoring node's configuration files fetched from the bucket byte for byte as Terraform uploads them, user data under
Linode's 16,384 bytes uncompressed (no gzip: cloud-init's Akamai source reads it only from 24.4 on), no late firewall
attach, the StackScript doing the same as app.yaml, and the autoscaler's
configuration valid with the environment the monitoring node gets.

Usage: check_cloud_init.py DEPLOY_DIR TERRAFORM_JSON [LINODE_AUTOSCALER_COMMAND...]
"""
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

from checklib import Tally

deploy, tf_json = sys.argv[1], sys.argv[2]
cli = sys.argv[3:]
t = Tally("cloud-init")
tf = json.load(open(tf_json))
locals_ = tf.get("locals", {})
terraform_dir = os.path.join(deploy, "terraform")

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
# Values the templates get in place of what only `terraform apply` knows.
SAMPLE = {
    "artifact_region": "us-east-1",
    "artifact_access_key": "SAMPLEACCESSKEY0001",
    "artifact_secret_key": "sampleSecretKey0000000000000000000000001",
    "linode_token": "0" * 64,
    "webhook_token": "w" * 40,
    "api_token": "a" * 40,
    "region": "us-east",
    "web_type": "g6-standard-1",
    "web_min": "2",
    "web_max": "6",
    "nodebalancer_label": "autoscaler-web",
    "ssh_authorized_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9zYW1wbGVrZXlmb3JjaGVja3Nvbmx5MDAwMDAwMDAw ci",
    "firewall_label": "autoscaler-web",
    "pool_tags": "autoscaler:web",
}
BUCKET = "https://autoscaler-artifacts-0a1b2c3d.us-east-1.linodeobjects.com"


def placeholders(template):
    return set(PLACEHOLDER.findall(template))


def indent(n, s):
    # Terraform's indent(): every line but the first gets n spaces.
    return s.replace("\n", "\n" + " " * n)


def value(name, expr, rendered):
    """The value main.tf's expression gives, for the expression shapes main.tf uses; a sample otherwise."""
    m = re.fullmatch(r'\$\{indent\((\d+), file\("\$\{path\.module\}/([^"]+)"\)\)\}', expr)
    if m:
        return indent(int(m.group(1)), open(os.path.join(terraform_dir, m.group(2))).read())
    m = re.fullmatch(r"\$\{indent\((\d+), local\.(\w+)\)\}", expr)
    if m:
        return indent(int(m.group(1)), rendered[m.group(2)])
    m = re.fullmatch(r"\$\{local\.artifact_base_url\}(/.+)", expr)
    if m:
        return BUCKET + m.group(1)
    return SAMPLE.get(name, f"sample-{name}")


def render(template_path, vars_local, rendered):
    template = open(template_path).read()
    expected = set(vars_local)
    used = placeholders(template)
    t.check(used == expected, f"{os.path.basename(template_path)}: placeholders {sorted(used)} are exactly the keys "
            f"of templatefile's map {sorted(expected)}")
    t.check("%{" not in template, f"{os.path.basename(template_path)}: no template directives")
    values = {k: value(k, v, rendered) for k, v in vars_local.items()}
    # One pass, like templatefile(): inserted text is not read again as a template.
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template), values


def cloud_config(name, text):
    t.check(text.startswith("#cloud-config\n"), f"{name}: the first line is #cloud-config")
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        t.check(False, f"{name}: rendered YAML parses ({e})")
        return {}
    t.check(isinstance(doc, dict), f"{name}: rendered YAML is a mapping")
    return doc if isinstance(doc, dict) else {}


def files_of(doc):
    return {f["path"]: f for f in doc.get("write_files", [])}


def runcmd_text(doc):
    return [" ".join(c) if isinstance(c, list) else c for c in doc.get("runcmd", [])]


shellchecked = []


def shellcheck(label, script):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script)
    try:
        r = subprocess.run(["shellcheck", "--external-sources", f.name], capture_output=True, text=True)
        t.check(r.returncode == 0, f"shellcheck {label}:\n{r.stdout}{r.stderr}")
        shellchecked.append(label)
    finally:
        os.unlink(f.name)


def shell_files(name, files):
    for path, f in files.items():
        if f.get("content", "").startswith("#!"):
            shellcheck(f"{name}:{path}", f["content"])


def unit_ok(name, path, f, exec_part):
    content = f.get("content", "")
    t.check("[Service]" in content and f"ExecStart={exec_part}" in content, f"{name}: {path} starts {exec_part}")


rendered = {}
sizes = {}

# --- app.yaml: the pool's instances ---
app_text, app_values = render(os.path.join(deploy, "cloud-init", "app.yaml"), locals_.get("app_user_data_vars", {}), rendered)
rendered["app_user_data"] = app_text
app = cloud_config("app.yaml", app_text)
app_files = files_of(app)
t.check("prometheus-node-exporter" in app.get("packages", []), "app.yaml installs prometheus-node-exporter")
runcmds = runcmd_text(app)
t.check(any("enable --now prometheus-node-exporter" in c for c in runcmds), "app.yaml enables prometheus-node-exporter")
t.check(any("enable --now workload" in c for c in runcmds), "app.yaml enables the app's unit")
t.check(runcmds and "workload-install" in runcmds[0], "app.yaml fetches the app before starting it")
unit = app_files.get("/etc/systemd/system/workload.service", {})
unit_ok("app.yaml", "workload.service", unit, "/opt/workload/workload")
t.check("WORKLOAD_PORT=8080" in unit.get("content", ""), "the app listens on :8080 (the NodeBalancer's node port)")
t.check("WORKLOAD_METRICS_PORT=9100" not in unit.get("content", "") and "WORKLOAD_METRICS_PORT=" in unit.get("content", ""),
        "the app's own metrics stay off :9100, which is node_exporter's")
curlrc = app_files.get("/etc/workload/artifact.curlrc", {})
t.check(curlrc.get("permissions") == "0600", "the artifact key file is private (0600)")
t.check(f'url = "{BUCKET}/workload/' in curlrc.get("content", "") and 'aws-sigv4 = "aws:amz:us-east-1:s3"' in curlrc.get("content", ""),
        "the app comes from the S3-compatible bucket URL, signed with the bucket's cluster")
shell_files("app.yaml", app_files)
sizes["app.yaml"] = len(app_text.encode())

# --- StackScript: the same instance without cloud-init ---
stack = open(os.path.join(deploy, "stackscripts", "app.sh")).read()
t.check(stack.startswith("#!/bin/bash\n"), "stackscripts/app.sh starts with #!/bin/bash")
udfs = re.findall(r"^# <UDF (.*?)/>\s*$", stack, re.M)
t.check(len(udfs) >= 4, "the StackScript declares its fields as UDF tags")
udf_names = []
for attrs in udfs:
    kv = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
    t.check("name" in kv and "label" in kv, f"UDF tag has name and label: {attrs}")
    if "name" in kv:
        udf_names.append(kv["name"])
        t.check(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", kv["name"]) is not None, f"UDF name {kv['name']} is a shell name")
        t.check(f"${kv['name']}" in stack or f"${{{kv['name']}" in stack, f"UDF {kv['name']} is used")
t.check(any("PASSWORD" in n.upper() for n in udf_names), "the secret key's UDF name contains 'password' (kept secret)")
shellcheck("stackscripts/app.sh", stack)


def heredoc(script, word):
    m = re.search(rf"<<'?{word}'?\n(.*?)\n{word}\n", script, re.S)
    return m.group(1) + "\n" if m else None


t.check(heredoc(stack, "UNIT") == unit.get("content"), "the StackScript writes the same workload.service as app.yaml")
t.check(heredoc(stack, "INSTALL") == app_files.get("/usr/local/sbin/workload-install", {}).get("content"),
        "the StackScript installs the app with the same script as app.yaml")
for cmd in ["enable --now prometheus-node-exporter", "enable --now workload", "prometheus-node-exporter"]:
    t.check(cmd in stack, f"the StackScript does '{cmd}' too")

# --- monitoring.yaml: Prometheus, Alertmanager and the autoscaler ---
mon_text, mon_values = render(os.path.join(deploy, "cloud-init", "monitoring.yaml"),
                              locals_.get("monitoring_user_data_vars", {}), rendered)
mon = cloud_config("monitoring.yaml", mon_text)
mon_files = files_of(mon)
for pkg in ["prometheus", "prometheus-alertmanager", "jq", "curl"]:
    t.check(pkg in mon.get("packages", []), f"monitoring.yaml installs {pkg}")
# Configuration files: Terraform uploads each (local.monitoring_config_files -> config/<key>), the node fetches each.
fetched = {
    "prometheus.yml": ("/etc/prometheus/prometheus.yml", "prometheus/prometheus.http_sd.yml"),
    "autoscaling.rules.yml": ("/etc/prometheus/rules/autoscaling.rules.yml", "prometheus/rules/autoscaling.rules.yml"),
    "autoscaler.rules.yml": ("/etc/prometheus/rules/autoscaler.rules.yml", "prometheus/rules/autoscaler.rules.yml"),
    "alertmanager.yml": ("/etc/prometheus/alertmanager.yml", "alertmanager/alertmanager.yml"),
    "autoscaler.yaml": ("/etc/linode-autoscaler/autoscaler.yaml", "autoscaler/autoscaler.yaml"),
    "app-user-data.yaml": ("/etc/linode-autoscaler/app-user-data.yaml", None),
}
uploads = locals_.get("monitoring_config_files", {})
objects = tf.get("resource", {}).get("linode_object_storage_object", {}).get("monitoring_config", {})
t.check("local.monitoring_config_files" in json.dumps(objects.get("for_each", "")) and "config/" in json.dumps(objects.get("key", "")),
        "main.tf uploads every configuration file to the bucket's config/")
fetch_script = mon_files.get("/usr/local/sbin/linode-autoscaler-fetch-config", {}).get("content", "")
t.check(f'base="{BUCKET}/config"' in fetch_script, "the node fetches its configuration from the bucket's config/")
for key, (path, source) in fetched.items():
    expr = uploads.get(key, "")
    want = f'file("${{path.module}}/../{source}")' if source else "local.app_user_data"
    t.check(want in expr, f"main.tf uploads config/{key} from {source or 'local.app_user_data'} (got {expr!r})")
    t.check(re.search(rf"^fetch {re.escape(key)} {re.escape(path)} ", fetch_script, re.M) is not None,
            f"monitoring.yaml fetches config/{key} to {path}")
    t.check(path not in mon_files, f"{path} is not carried in the user data")
t.check(any("linode-autoscaler-fetch-config" in c for c in runcmd_text(mon)[:1]),
        "monitoring.yaml fetches its configuration before anything starts")
t.check(not [p for p in mon_files if "attach-firewall" in p or "autoscaler-firewall" in p] and "firewall.timer" not in mon_text,
        "no late firewall attach: the autoscaler creates its instances behind the firewall")
token_file = mon_files.get("/etc/prometheus/autoscaler-webhook.token", {})
am = yaml.safe_load(open(os.path.join(deploy, "alertmanager", "alertmanager.yml")))
cred_files = [w["http_config"]["authorization"]["credentials_file"] for r in am["receivers"] for w in r.get("webhook_configs", [])]
t.check(cred_files == ["/etc/prometheus/autoscaler-webhook.token"], "Alertmanager reads the webhook token from the file cloud-init writes")
t.check(token_file.get("content", "").strip() == SAMPLE["webhook_token"] and token_file.get("permissions") == "0640"
        and token_file.get("owner") == "root:prometheus", "the webhook token file is readable by group prometheus only")
env_file = mon_files.get("/etc/linode-autoscaler/env", {})
t.check(env_file.get("permissions") == "0600", "the autoscaler's environment file (tokens) is private")
env = {}
for line in env_file.get("content", "").splitlines():
    if "=" in line:
        k, v = line.split("=", 1)
        env[k] = v[1:-1] if len(v) >= 2 and v[0] == v[-1] == '"' else v
autoscaler_yaml = open(os.path.join(deploy, "autoscaler", "autoscaler.yaml")).read()
needed = set(re.findall(r"\$\{(\w+)(?::-[^}]*)?\}", autoscaler_yaml))
t.check(needed <= set(env), f"the env file sets every variable autoscaler.yaml uses (missing: {sorted(needed - set(env))})")
t.check(re.search(r"^\s+firewall_(label|id): \S", autoscaler_yaml, re.M) is not None,
        "the autoscaler's pool creates its instances behind a firewall (firewall_label or firewall_id)")
t.check(env.get("WEBHOOK_TOKEN") == token_file.get("content", "").strip(), "Alertmanager and the autoscaler share one webhook token")
for unit_path, exec_part in [("/etc/systemd/system/linode-autoscaler.service", "/opt/linode-autoscaler/linode-autoscaler-serve --config")]:
    unit_ok("monitoring.yaml", unit_path, mon_files.get(unit_path, {}), exec_part)
t.check("EnvironmentFile=/etc/linode-autoscaler/env" in mon_files.get("/etc/systemd/system/linode-autoscaler.service", {}).get("content", ""),
        "the autoscaler's unit reads its tokens from the env file")
mruns = runcmd_text(mon)
for what in ["linode-autoscaler-fetch-config", "linode-autoscaler-install", "enable --now linode-autoscaler.service",
             "restart prometheus.service prometheus-alertmanager.service"]:
    t.check(any(what in c for c in mruns), f"monitoring.yaml runs '{what}'")
for path, f in mon_files.items():
    owner = f.get("owner", "root:root")
    if owner.split(":")[-1] not in ("root",):
        t.check(f.get("defer") is True, f"{path} (owned by {owner}) is written after the packages and users exist (defer)")
shell_files("monitoring.yaml", mon_files)
sizes["monitoring.yaml"] = len(mon_text.encode())

# Linode takes at most 16,384 bytes of user data after base64 decoding. Gzip would fit more, but cloud-init's Akamai
# data source unpacks it only from 24.4 on (Debian 12 ships 22.4): plain base64 only, the text itself under the limit.
def sent(resource, text):
    expr = json.dumps(tf.get("resource", {}).get("linode_instance", {}).get(resource, {}).get("metadata", ""))
    data = text.encode()
    if "base64gzip(" in expr:
        data = gzip.compress(data, mtime=0)
    return len(data), 4 * ((len(data) + 2) // 3), "gzip+base64" if "base64gzip(" in expr else "base64"


encoded = {}
for name, resource in [("app.yaml", "web"), ("monitoring.yaml", "monitoring")]:
    text = app_text if name == "app.yaml" else mon_text
    raw, b64, how = sent(resource, text)
    encoded[name] = f"{how} {b64} B"
    t.check(how == "base64", f"{name}: main.tf sends it with base64encode, not gzipped ({how})")
    t.check(raw <= 16384, f"{name}: {raw} bytes of user data after base64 decoding (Linode takes at most 16384)")

# The autoscaler's configuration, as the monitoring node has it: its directory, its env, the pool's user_data.
if cli:
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "autoscaler.yaml"), "w") as f:
            f.write(autoscaler_yaml)
        with open(os.path.join(d, "app-user-data.yaml"), "w") as f:
            f.write(app_text)
        r = subprocess.run(cli + ["validate", os.path.join(d, "autoscaler.yaml")], capture_output=True, text=True,
                           env={**{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOTNET_ROOT")}, **env})
        t.check(r.returncode == 0 and r.stdout.startswith("ok:"),
                f"linode-autoscaler validate accepts autoscaler.yaml with the node's env:\n{r.stdout}{r.stderr}")
        # Without the env the service must refuse to start rather than run with holes (exit 2: a configuration error).
        r = subprocess.run(cli + ["validate", os.path.join(d, "autoscaler.yaml")], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DOTNET_ROOT")})
        t.check(r.returncode == 2 and "LINODE_TOKEN" in r.stderr, "validate refuses autoscaler.yaml without its env")
        validated = "validated with linode-autoscaler"
else:
    validated = "linode-autoscaler validate skipped (no CLI given)"

size_text = ", ".join(f"{k} {v} B ({encoded[k]})" for k, v in sizes.items())
t.finish(f"rendered {size_text}; shellcheck on {len(shellchecked)} scripts; {validated}")
