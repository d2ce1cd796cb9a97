"""What a tenant names is fetched only where the operator's scope allows: a registry on a
public-looking test host (TEST-NET-3, in a network namespace) that sends Vigil's client on to
a loopback token realm or redirects it to loopback never gets it there. A listener on
127.0.0.1 counts connections; it must see none. The server runs without operator scope."""

import socket
import threading

from tencentcloud.common import credential
from tencentcloud.tcss.v20201101 import tcss_client

from conftest import make_profile

# A fake registry: `realm` answers /v2/ with a Bearer challenge whose realm is the tripwire;
# `redirect` answers /v2/ and sends every other path to the tripwire.
REGISTRY = r"""
import http.server, sys
port, mode, trip = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if mode == "realm":
            self.send_response(401)
            self.send_header("WWW-Authenticate",
                             'Bearer realm="http://127.0.0.1:%s/token",service="r"' % trip)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path.rstrip("/") == "/v2":
            self.send_response(200)
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")
        else:
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:%s%s" % (trip, self.path))
            self.send_header("Content-Length", "0")
            self.end_headers()
http.server.ThreadingHTTPServer(("0.0.0.0", port), H).serve_forever()
"""


def tripwire():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    hits = []

    def accept():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            hits.append(1)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return sock, hits


def test_registry_realm_and_redirects_never_reach_loopback(vigil_main, account_a, public_host):
    trip, hits = tripwire()
    try:
        public_host.serve_code(5000, REGISTRY, "realm", trip.getsockname()[1])
        public_host.serve_code(5001, REGISTRY, "redirect", trip.getsockname()[1])
        client = tcss_client.TcssClient(
            credential.Credential(account_a.secret_id, account_a.secret_key),
            "ap-guangzhou", make_profile(vigil_main))
        for i, port in enumerate((5000, 5001)):
            body = client.call_json("AddAssetImageRegistryRegistryDetail", {
                "Name": "reach-%d" % i, "Username": "u", "Password": "p",
                "Url": "http://%s:%d" % (public_host.ip, port), "RegistryType": "harbor",
                "NetType": "public", "RegistryVersion": "V2", "RegistryRegion": "default",
                "Insecure": 1, "SyncMode": 0})["Response"]
            if port == 5000:
                # The token realm on loopback is refused before any connection.
                assert "internal address" in body["HealthCheckErr"], body
            else:
                # /v2/ answers; the catalog redirects to loopback, which sync refuses.
                assert body["HealthCheckErr"] == "", body
                client.call_json("SyncAssetImageRegistryAsset",
                                 {"RegistryIds": [body["RegistryId"]]})
                rows = client.call_json("DescribeAssetImageRegistryRegistryList",
                                        {"Limit": 100})["Response"]["List"]
                row = next(r for r in rows if r["RegistryId"] == body["RegistryId"])
                assert "internal address" in row["SyncFailReason"], row
        assert hits == [], "a tenant's registry led Vigil to 127.0.0.1"
    finally:
        trip.close()
