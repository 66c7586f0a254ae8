"""Small shared pieces of the deploy/ checks: a tally that prints each assertion's outcome."""
import json
import sys


class Tally:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
        return ok

    def finish(self, summary=""):
        total = self.passed + len(self.failed)
        print(f"{self.name}: {self.passed}/{total} assertions hold{(' - ' + summary) if summary else ''}")
        for what in self.failed:
            print(f"  FAILED: {what}")
        sys.exit(0 if not self.failed else 1)


class FakeServer:
    """An HTTP server on 127.0.0.1 (a free port) that records every request and answers with handler(request)."""

    def __init__(self, handler):
        import http.server
        import threading

        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                outer.requests.append(request)
                status, payload = handler(request)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
