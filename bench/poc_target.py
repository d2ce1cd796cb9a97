"""A local HTTP target for bench/poc.sh: answers the responses of a table (request path ->
status, headers, body) that make a known set of nuclei templates match, and a plain 404 page
to everything else. It counts the requests it serves.

Usage: poc_target.py --table TABLE.json [--port N] [--count-file FILE]
  TABLE.json   {"/path?query": {"status": 200, "headers": {"Name": "value"}, "body": "...",
               "template": "id"}, ...} as written by `poc_bench.py select` (paths as sent,
               percent-decoded; the query counts)
  --port N     listen on 127.0.0.1:N (default 0: a free port)
  --count-file FILE  the number of requests served, written there on SIGTERM/SIGINT
Prints "READY <port>" once listening. GET /__count answers the count so far (not counted).
"""

import argparse
import json
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOT_FOUND = (b"<!DOCTYPE html>\n<html>\n<head><title>404 Not Found</title></head>\n<body>\n"
             b"<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
             b"</body>\n</html>\n")


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.n = 0

    def add(self):
        with self.lock:
            self.n += 1


def route_key(target):
    """The table key of a request target: percent-decoded path, plus its query when present."""
    return urllib.parse.unquote(target, errors="replace")


def make_handler(table, counter):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # http.server writes headers and body in separate sends: without this, keep-alive
        # requests wait for the client's delayed ACK (about 40 ms each).
        disable_nagle_algorithm = True

        def version_string(self):
            return "httpd"

        def log_message(self, *args):
            pass

        def parse_request(self):
            ok = super().parse_request()
            if not ok:  # answered 400/414/505 by http.server itself: a request served all the same
                counter.add()
            return ok

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > 0:
                self.rfile.read(length)
            if self.path == "/__count":
                self.reply(200, {"Content-Type": "text/plain"}, str(counter.n).encode())
                return
            counter.add()
            hit = table.get(route_key(self.path))
            if hit is None:
                self.reply(404, {"Content-Type": "text/html; charset=utf-8"}, NOT_FOUND)
            else:
                self.reply(hit["status"], hit["headers"], hit["body"].encode())

        def reply(self, status, headers, body):
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def __getattr__(self, name):
            # Every method (GET, POST, PURGE, DEBUG, ...) is answered the same way.
            if name.startswith("do_"):
                return self.answer
            raise AttributeError(name)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--count-file")
    a = ap.parse_args()
    with open(a.table) as f:
        table = {route_key(k): v for k, v in json.load(f).items()}
    counter = Counter()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 512
    server = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(table, counter))

    def stop(*_):
        if a.count_file:
            with open(a.count_file, "w") as f:
                f.write(f"{counter.n}\n")
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
