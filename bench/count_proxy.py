#!/usr/bin/env python3
"""A counting HTTP forwarding proxy for AWS emulator benchmarks (stdlib only).

Usage: count_proxy.py LISTEN_PORT UPSTREAM_PORT [UPSTREAM_HOST]

Every request (method, path, headers, body) is forwarded to the upstream
(moto_server) and its response returned as it is. Requests are counted by AWS
action: the `Action=` parameter of query-protocol calls (EC2, STS, RDS, ELBv2),
the X-Amz-Target header of JSON-protocol calls, and METHOD plus the path with
its id segment masked for REST-style calls (Route 53). Calls under /moto-api/ are
forwarded but not counted.

    GET  /__counts   the counts as JSON: {"total": N, "actions": {"Name": n, ...}}
    POST /__reset    zero the counts (answers with the counts before the reset)
"""

import http.client
import http.server
import json
import sys
import threading
import urllib.parse
from collections import Counter

# Hop-by-hop headers are per connection and never forwarded (RFC 9110, 7.6.1).
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection", "expect",
}

counts = Counter()
lock = threading.Lock()
upstream = ("127.0.0.1", 0)
local = threading.local()


def action_of(method, path, headers, body):
    """The AWS action a request calls, or None for requests not counted."""
    url = urllib.parse.urlsplit(path)
    if url.path.startswith("/moto-api"):
        return None
    target = headers.get("X-Amz-Target")
    if target:
        return target
    params = urllib.parse.parse_qs(url.query)
    ctype = headers.get("Content-Type", "")
    if body and ("x-www-form-urlencoded" in ctype or (not ctype and b"Action=" in body)):
        params.update(urllib.parse.parse_qs(body.decode("utf-8", "replace")))
    if "Action" in params:
        return params["Action"][0]
    # REST: /2013-04-01/hostedzone/Z123/rrset -> /2013-04-01/hostedzone/{id}/rrset.
    segments = [s for s in url.path.split("/") if s][:4]
    if len(segments) > 2:
        segments[2] = "{id}"
    return f"{method} /{'/'.join(segments)}"


def connection():
    """One persistent upstream connection per handler thread."""
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPConnection(*upstream, timeout=600)
    return conn


def read_chunked(rfile):
    """The body of a request sent with Transfer-Encoding: chunked."""
    body = bytearray()
    while True:
        size = int(rfile.readline().split(b";")[0].strip() or b"0", 16)
        if size == 0:
            # Skip the trailer section up to its blank line.
            while rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return bytes(body)
        body += rfile.read(size)
        rfile.readline()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload):
        data = json.dumps(payload, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def snapshot(self):
        with lock:
            return {"total": sum(counts.values()), "actions": dict(counts)}

    def handle_one(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = read_chunked(self.rfile)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__counts" and self.command == "GET":
            return self.reply(200, self.snapshot())
        if self.path == "/__reset" and self.command == "POST":
            before = self.snapshot()
            with lock:
                counts.clear()
            return self.reply(200, before)

        action = action_of(self.command, self.path, self.headers, body)
        if action is not None:
            with lock:
                counts[action] += 1
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"}
        if body or self.command in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        for attempt in range(2):
            conn = connection()
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                # A kept-alive upstream connection may have been closed: retry once on a new one.
                conn.close()
                local.conn = None
                if attempt:
                    raise
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                self.send_header(k, v)
        if self.command != "HEAD" and resp.status not in (204, 304) and not 100 <= resp.status < 200:
            self.send_header("Content-Length", str(len(data)))
        elif self.command == "HEAD" and resp.getheader("Content-Length"):
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_request(self):
        try:
            self.handle_one()
        except Exception as e:  # noqa: BLE001 - answer the client rather than drop it
            self.close_connection = True
            msg = f"count_proxy: {type(e).__name__}: {e}".encode()
            try:
                self.send_response(502)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(msg)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(msg)
            except OSError:
                pass

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_request


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    global upstream
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    upstream = (sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1", int(sys.argv[2]))
    server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
