"""A test host that Vigil sees as public: a network namespace of the test's own, joined to
this machine by a veth pair and addressed from TEST-NET-3 (203.0.113.0/24), which is in no
internal range, so a tenant without operator scope may reach it (loopback may not). Its
web servers record the paths they were asked for. Needs root and iproute2; traffic never
leaves this machine."""

import os
import subprocess
import sys
import time
import http.client
import urllib.request
from pathlib import Path

SERVER = r"""
import functools, http.server, sys
port, root, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        with open(log, "a") as f:
            f.write(self.path + "\n")
http.server.ThreadingHTTPServer(("0.0.0.0", port), functools.partial(H, directory=root)).serve_forever()
"""


def available():
    has_ip = any(Path(d, "ip").exists() for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin"))
    return os.geteuid() == 0 and has_ip


def _ip(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + ["ip", *args]
    subprocess.run(cmd, check=True, capture_output=True)


class PublicHost:
    def __init__(self, tmp):
        pid = os.getpid()
        slot = pid % 63
        self.ns = "vigilpub%d" % pid
        self.host_if, self.peer_if = "vph%d" % pid, "vpp%d" % pid
        self.host_ip = "203.0.113.%d" % (4 * slot + 1)
        self.ip = "203.0.113.%d" % (4 * slot + 2)
        self.tmp = Path(tmp)
        self.procs = []
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        _ip("netns", "add", self.ns)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.peer_if)
        _ip("link", "set", self.peer_if, "netns", self.ns)
        _ip("addr", "add", self.host_ip + "/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("addr", "add", self.ip + "/30", "dev", self.peer_if, ns=self.ns)
        _ip("link", "set", self.peer_if, "up", ns=self.ns)
        _ip("link", "set", "lo", "up", ns=self.ns)

    def serve(self, port, root):
        """A static web server on ip:port serving `root`; returns the file of requested paths."""
        log = self.tmp / ("paths-%d.log" % port)
        log.write_text("")
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, "-c", SERVER,
                                 str(port), str(root), str(log)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                urllib.request.urlopen("http://%s:%d/" % (self.ip, port), timeout=1).read()
                return log
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the test host's web server on port %d did not start" % port)

    def serve_code(self, port, code, *args):
        """Run `code` (a Python program serving on 0.0.0.0:port, given as argv[1] with
        `args` after it) on the test host, and wait until it answers."""
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, "-c", code,
                                 str(port), *map(str, args)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                # No redirects followed: the server's answer may point anywhere.
                conn = http.client.HTTPConnection(self.ip, port, timeout=1)
                conn.request("GET", "/v2/")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the test host's server on port %d did not start" % port)

    def close(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
