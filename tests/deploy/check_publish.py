"""Runs deploy/scripts/publish-artifacts.sh --no-build against a fake S3 endpoint on 127.0.0.1 and checks the uploads:
both tarballs under the keys cloud-init fetches, byte for byte, signed with AWS SigV4 for the bucket's cluster, and
the secret key never printed.

Usage: check_publish.py DEPLOY_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

from checklib import FakeServer, Tally

deploy = sys.argv[1]
script = os.path.join(deploy, "scripts", "publish-artifacts.sh")
t = Tally("publish-artifacts")
SECRET = "publishSecret" + "5" * 27


def s3(request):
    return (200, b"") if request["method"] == "PUT" else (405, b"")


with tempfile.TemporaryDirectory() as out, FakeServer(s3) as server:
    blobs = {}
    for name in ["workload-linux-x64.tar.gz", "linode-autoscaler-linux-x64.tar.gz"]:
        blobs[name] = os.urandom(4096) + name.encode()
        with open(os.path.join(out, name), "wb") as f:
            f.write(blobs[name])
    env = {"PATH": os.environ["PATH"], "ARTIFACT_BUCKET_URL": server.url + "/", "ARTIFACT_REGION": "us-east-1",
           "ARTIFACT_ACCESS_KEY": "PUBLISHKEY01", "ARTIFACT_SECRET_KEY": SECRET}
    r = subprocess.run(["bash", script, "--no-build", "--out", out], capture_output=True, text=True, env=env, timeout=120)
    t.check(r.returncode == 0, f"publishes with --no-build (exit {r.returncode}: {r.stderr.strip()})")
    puts = {q["path"]: q for q in server.requests if q["method"] == "PUT"}
    app_key = ("/workload/workload-linux-x64.tar.gz", "workload-linux-x64.tar.gz")
    cli_key = ("/linode-autoscaler/linode-autoscaler-linux-x64.tar.gz", "linode-autoscaler-linux-x64.tar.gz")
    for path, name in [app_key, cli_key]:
        q = puts.get(path)
        t.check(q is not None and q["body"] == blobs[name], f"PUT {path} carries {name} byte for byte")
        auth = (q or {}).get("headers", {}).get("Authorization", "")
        t.check(re.match(r"AWS4-HMAC-SHA256 Credential=PUBLISHKEY01/\d{8}/us-east-1/s3/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$", auth)
                is not None, f"PUT {path} is signed with SigV4 for us-east-1/s3 ({auth[:60]}...)")
    t.check(SECRET not in r.stdout + r.stderr, "the secret key never appears in the output")
    # cloud-init fetches exactly these keys.
    for template, path in [("app.yaml", app_key[0]), ("monitoring.yaml", cli_key[0])]:
        text = open(os.path.join(deploy, "terraform", "main.tf")).read()
        t.check(path in text, f"main.tf points {template}'s download at {path}")

    os.remove(os.path.join(out, "workload-linux-x64.tar.gz"))
    r = subprocess.run(["bash", script, "--no-build", "--out", out], capture_output=True, text=True, env=env, timeout=120)
    t.check(r.returncode == 1 and "is missing" in r.stderr, "a missing tarball stops it, named")
    r = subprocess.run(["bash", script, "--bogus"], capture_output=True, text=True, env=env, timeout=60)
    t.check(r.returncode == 2 and "unknown argument" in r.stderr, "an unknown argument is exit 2")

t.finish("uploads run against a fake S3 endpoint on 127.0.0.1")
