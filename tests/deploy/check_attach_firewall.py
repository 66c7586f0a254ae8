"""Runs deploy/scripts/attach-firewall.sh against a fake of the Linode API endpoints it uses (on 127.0.0.1) and
checks what it does: attaches exactly the pool's unattached instances, follows pages, re-checks the tag the filter
asked for, is idempotent, reports a refused attachment and goes on, and never prints the token.

Usage: check_attach_firewall.py DEPLOY_DIR
"""
import json
import os
import subprocess
import sys
from urllib.parse import parse_qs, urlparse

from checklib import FakeServer, Tally

script = os.path.join(sys.argv[1], "scripts", "attach-firewall.sh")
t = Tally("attach-firewall")
TOKEN = "tok-" + "9" * 60


class Account:
    def __init__(self, attached, refuse=()):
        self.firewalls = [{"id": 77, "label": "autoscaler-web"}, {"id": 78, "label": "autoscaler-web-old"}]
        self.devices = {77: [{"id": 1, "entity": {"id": 202, "type": "nodebalancer"}}]
                        + [{"id": 10 + i, "entity": {"id": i, "type": "linode"}} for i in attached]}
        self.instances = [
            {"id": 201, "label": "autoscaler-web-1", "tags": ["autoscaler:protected", "autoscaler:web"]},
            {"id": 202, "label": "web-aaaa1111", "tags": ["app:web", "autoscaler:web"]},
            {"id": 203, "label": "web-bbbb2222", "tags": ["autoscaler:web"]},
            # A filter is a hint: the script must still check the exact tag.
            {"id": 204, "label": "webby-1", "tags": ["autoscaler:webby"]},
            {"id": 205, "label": "web-cccc3333", "tags": ["autoscaler:web"]},
        ]
        self.refuse = set(refuse)
        self.posts = []

    def page(self, items, query):
        page = int(query.get("page", ["1"])[0])
        size = 2  # small pages, whatever page_size asks, so paging is exercised
        pages = max(1, (len(items) + size - 1) // size)
        return {"data": items[(page - 1) * size: page * size], "page": page, "pages": pages, "results": len(items)}

    def __call__(self, request):
        if request["headers"].get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"errors": [{"reason": "Invalid Token"}]}
        url = urlparse(request["path"])
        query = parse_qs(url.query)
        filt = json.loads(request["headers"].get("X-Filter", "{}"))
        if request["method"] == "GET" and url.path == "/v4/networking/firewalls":
            return 200, self.page([f for f in self.firewalls if f["label"] == filt.get("label", f["label"])], query)
        if request["method"] == "GET" and url.path.startswith("/v4/networking/firewalls/") and url.path.endswith("/devices"):
            return 200, self.page(self.devices.get(int(url.path.split("/")[4]), []), query)
        if request["method"] == "GET" and url.path == "/v4/linode/instances":
            tag = filt.get("tags")
            return 200, self.page([i for i in self.instances if tag is None or any(x.startswith(tag) for x in i["tags"])], query)
        if request["method"] == "POST" and url.path == "/v4/networking/firewalls/77/devices":
            body = json.loads(request["body"])
            self.posts.append(body)
            if body["id"] in self.refuse:
                return 400, {"errors": [{"reason": f"Linode {body['id']} already has an active firewall"}]}
            self.devices[77].append({"id": 100 + body["id"], "entity": {"id": body["id"], "type": body["type"]}})
            return 200, {"id": 100 + body["id"], "entity": {"id": body["id"], "type": body["type"]}}
        return 404, {"errors": [{"reason": "Not found"}]}


def run(server, **env):
    base = {"PATH": os.environ["PATH"], "LINODE_TOKEN": TOKEN, "FIREWALL_LABEL": "autoscaler-web",
            "POOL_TAGS": "autoscaler:web", "LINODE_API_URL": server.url + "/v4/"}
    base.update(env)
    r = subprocess.run(["bash", script], capture_output=True, text=True, env={k: v for k, v in base.items() if v is not None},
                       timeout=120)
    t.check(TOKEN not in r.stdout + r.stderr, "the token never appears in the script's output")
    return r


account = Account(attached=[201])
with FakeServer(account) as server:
    r = run(server)
    t.check(r.returncode == 0, f"exit 0 when every attachment succeeds (got {r.returncode}: {r.stderr})")
    t.check(sorted(p["id"] for p in account.posts) == [202, 203, 205],
            f"attaches exactly the pool's unattached instances 202, 203, 205 (posted {account.posts})")
    t.check(all(p == {"type": "linode", "id": p["id"]} for p in account.posts), "each attachment is {type: linode, id}")
    t.check("3 newly attached" in r.stdout, f"reports what it attached ({r.stdout.strip().splitlines()[-1:]})")
    account.posts.clear()
    r = run(server)
    t.check(r.returncode == 0 and account.posts == [], "a second run attaches nothing (idempotent)")
    r = run(server, FIREWALL_LABEL="autoscaler-nope")
    t.check(r.returncode == 2 and "no firewall labelled 'autoscaler-nope'" in r.stderr, "a missing firewall is exit 2, named")
    r = run(server, LINODE_TOKEN=None)
    t.check(r.returncode != 0 and "LINODE_TOKEN" in r.stderr, "a missing LINODE_TOKEN stops it, named")

account = Account(attached=[], refuse=[202])
with FakeServer(account) as server:
    r = run(server)
    t.check(r.returncode == 1, f"exit 1 when an attachment is refused (got {r.returncode})")
    t.check("already has an active firewall" in r.stderr and "web-aaaa1111 (202)" in r.stderr,
            f"the refusal names the instance and the API's reason ({r.stderr.strip()})")
    t.check(sorted(p["id"] for p in account.posts) == [201, 202, 203, 205], "the others are still attached after a refusal")

t.finish("run against a fake Linode API on 127.0.0.1")
