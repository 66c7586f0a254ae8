"""Checks deploy/jenkins (Jenkins itself cannot run here): each Jenkinsfile is a declarative pipeline with POOL, STEP
and TO parameters (and no address parameter: AUTOSCALER_URL is fixed in the job) and the API token from withCredentials; its shell step passes shellcheck and, run by bash against a
fake of the autoscaler's read API with a stand-in linode-autoscaler on PATH, computes the size it asks for
(step, clamp to max or min, TO, input validation). With the real CLI, `linode-autoscaler scale --help` must offer every
option the Jenkinsfiles use.

Usage: check_jenkins.py DEPLOY_DIR [LINODE_AUTOSCALER_COMMAND...]
"""
import os
import re
import shlex
import stat
import subprocess
import sys
import tempfile

from checklib import FakeServer, Tally

deploy = sys.argv[1]
cli = sys.argv[2:]
t = Tally("jenkins")
TOKEN = "api-" + "7" * 40


def shell_step(text):
    m = re.search(r"sh '''(.*?)'''", text, re.S)
    return m.group(1).strip("\n") if m else None


pools = {"web": {"pool": "web", "desired": 3, "min": 2, "max": 5, "actual": 3},
         "fresh": {"pool": "fresh", "desired": None, "min": 2, "max": 5, "actual": 2},
         "big": {"pool": "big", "desired": 6, "min": 2, "max": 10, "actual": 5}}


def api(request):
    m = re.fullmatch(r"/api/v1/pools/([^/?]+)", request["path"])
    if request["method"] == "GET" and m and m.group(1) in pools:
        return 200, pools[m.group(1)]
    return 404, {"error": "unknown pool"}


def run(body, server, **params):
    with tempfile.TemporaryDirectory() as d:
        record = os.path.join(d, "calls")
        stub = os.path.join(d, "linode-autoscaler")
        with open(stub, "w") as f:
            f.write(f'#!/bin/bash\nprintf "%s|%s\\n" "$*" "${{AUTOSCALER_API_TOKEN:-}}" >> {shlex.quote(record)}\n')
        os.chmod(stub, stat.S_IRWXU)
        script = os.path.join(d, "step.sh")
        with open(script, "w") as f:
            f.write(body)
        env = {"PATH": d + os.pathsep + os.environ["PATH"], "AUTOSCALER_URL": server.url, "AUTOSCALER_API_TOKEN": TOKEN,
               "POOL": "web", "STEP": "1", "TO": ""}
        env.update(params)
        r = subprocess.run(["bash", script], capture_output=True, text=True, env=env, timeout=60)
        calls = open(record).read().splitlines() if os.path.exists(record) else []
        return r, calls


def scale_to(calls):
    for c in calls:
        args, _, token = c.partition("|")
        m = re.fullmatch(r"scale (\S+) --to (\d+) --url (\S+)(.*)", args)
        if m:
            return int(m.group(2)), m.group(1), token, m.group(4)
    return None, None, None, None


cases = {
    "Jenkinsfile.scale-up": [({"STEP": "1"}, 4), ({"STEP": "2"}, 5), ({"STEP": "9"}, 5), ({"TO": "2"}, 2),
                             ({"POOL": "fresh", "STEP": "1"}, 3), ({"POOL": "big", "STEP": "3"}, 9)],
    "Jenkinsfile.scale-down": [({"STEP": "1"}, 2), ({"STEP": "5"}, 2), ({"TO": "4"}, 4),
                               ({"POOL": "fresh", "STEP": "1"}, 2), ({"POOL": "big", "STEP": "1"}, 5),
                               ({"POOL": "big", "STEP": "3"}, 3)],
}
options_used = set()
with FakeServer(api) as server:
    for name, expectations in cases.items():
        path = os.path.join(deploy, "jenkins", name)
        text = open(path).read() if os.path.exists(path) else ""
        t.check(len(text.strip()) > 0, f"{name} exists and is not empty")
        t.check(re.search(r"^pipeline \{", text, re.M) is not None and "stages {" in text, f"{name} is a declarative pipeline")
        for p in ["POOL", "STEP", "TO"]:
            t.check(re.search(rf"string\(name: '{p}'", text) is not None, f"{name} has the parameter {p}")
        # The token goes wherever the URL points: the URL is part of the job, never a parameter a build can set.
        declared = re.findall(r"(?:string|text|choice|password)\(name: '([A-Za-z_]+)'", text)
        t.check(not [p for p in declared if re.search(r"URL|HOST|ADDRESS|ENDPOINT", p, re.I)],
                f"{name}: no build parameter names the autoscaler's address (parameters: {declared})")
        env_url = re.search(r"environment \{[^}]*AUTOSCALER_URL = '(http://127\.0\.0\.1:\d+)'", text, re.S)
        t.check(env_url is not None, f"{name}: AUTOSCALER_URL is fixed in the job's environment block, on loopback")
        t.check("withCredentials([string(credentialsId: 'linode-autoscaler-api-token', variable: 'AUTOSCALER_API_TOKEN')])" in text,
                f"{name} takes the API token from Jenkins credentials")
        t.check('sh """' not in text, f"{name}: no Groovy-interpolated shell step (it would leak the token into the script)")
        t.check("linode-autoscaler scale" in text, f"{name} calls linode-autoscaler scale")
        body = shell_step(text)
        if not t.check(body is not None and body.lstrip().startswith("#!/bin/bash"), f"{name}: its sh step is a bash script"):
            continue
        options_used |= set(re.findall(r"(--[a-z-]+)", " ".join(re.findall(r"linode-autoscaler scale ([^\n]*)", body))))
        with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
            f.write(body.lstrip() + "\n")
        r = subprocess.run(["shellcheck", f.name], capture_output=True, text=True)
        os.unlink(f.name)
        t.check(r.returncode == 0, f"shellcheck {name} sh step:\n{r.stdout}")
        for params, want in expectations:
            r, calls = run(body, server, **params)
            to, pool, token, rest = scale_to(calls)
            t.check(r.returncode == 0 and to == want, f"{name} with {params}: scale --to {want} (got {to}, exit {r.returncode}: {r.stderr.strip()})")
            t.check(token == TOKEN and TOKEN not in (rest or "") and TOKEN not in r.stdout + r.stderr,
                    f"{name} with {params}: the CLI gets the token from the environment, never on its command line")
        for bad in [{"POOL": "web; rm -rf /"}, {"STEP": "-1"}, {"STEP": "x"}, {"TO": "3a"}]:
            r, calls = run(body, server, **bad)
            t.check(r.returncode == 2 and scale_to(calls)[0] is None, f"{name} refuses {bad} before calling the CLI")
        r, calls = run(body, server, POOL="nosuch")
        t.check(r.returncode != 0 and scale_to(calls)[0] is None, f"{name} fails on an unknown pool without scaling")

if cli:
    r = subprocess.run(cli + ["scale", "--help"], capture_output=True, text=True)
    offered = set(re.findall(r"(--[a-z-]+)", r.stdout))
    t.check(r.returncode == 0 and options_used and options_used <= offered,
            f"linode-autoscaler scale offers every option the Jenkinsfiles use {sorted(options_used)} (offers {sorted(offered)})")
    t.check("--token" in offered and "AUTOSCALER_API_TOKEN" in r.stdout, "scale reads --token from $AUTOSCALER_API_TOKEN by default")
    done = "options checked against the real CLI"
else:
    done = "CLI options not checked (no CLI given)"
t.finish(f"shell steps run against a fake autoscaler API on 127.0.0.1; {done}")
