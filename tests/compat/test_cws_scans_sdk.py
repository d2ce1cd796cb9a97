"""CWS (2018-03-12) website scans driven through the official SDK's typed `CwsClient`:
a real scan of the deliberately vulnerable test app (`tests/webapp/vulnapp.py`), the site
fields of the last scan, vulnerabilities (paging, filters, counts, the daily timeline),
false positives kept across rescans, one scan at a time per site, HTML reports behind
signed links, tenant isolation, unverified sites, monitors and the notice-level setting,
plus one `tccli` call.

The server runs with `--scope-allow 127.0.0.0/8`, so a loopback site is verified by the
operator's scope when it is created.  Its `--dns-server` is a stub on 127.0.0.1 that answers
NXDOMAIN to everything, so a name such as `unverified.example` is registered (unverified)
without any query leaving this machine.  Every byte goes to 127.0.0.0/8."""

import datetime
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cws.v20180312 import cws_client, models

from conftest import _DIRECT, PROXY_VARS, REGION, _server, make_profile, stop_process

# The SDK warns about response fields its models do not have: make that a failure, so every
# response shape is checked field by field.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

VULNAPP = Path(__file__).resolve().parents[1] / "webapp" / "vulnapp.py"
SCAN_TIMEOUT_S = 180.0
RATE = 1000
LEVELS = {"high", "middle", "low", "notice"}
UNKNOWN_ID = 987654321


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def call(c, action, params=None):
    """Call an action through the typed client; the response as the model serialises it
    (a field the server left out shows as None)."""
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params or {}))
    resp = getattr(c, action)(req)
    assert isinstance(resp, getattr(models, action + "Response")), type(resp)
    out = json.loads(resp.to_json_string())
    assert isinstance(out.get("RequestId"), str) and out["RequestId"], out
    return out


def error_code(c, action, params):
    with pytest.raises(TencentCloudSDKException) as exc:
        call(c, action, params)
    code = exc.value.get_code()
    assert code not in ("ClientNetworkError", "ServerNetworkError"), str(exc.value)
    assert exc.value.get_request_id(), str(exc.value)
    return code, exc.value.get_message()


def get_site(c, site_id):
    resp = call(c, "DescribeSites", {"SiteIds": [site_id]})
    assert resp["TotalCount"] == 1, resp
    (site,) = resp["Sites"]
    assert site["Id"] == site_id
    return site


def all_vuls(c, page=7, **params):
    """Every vulnerability, fetched `page` at a time; checks that paging is consistent."""
    first = call(c, "DescribeVuls", dict(params, Offset=0, Limit=page))
    total = first["TotalCount"]
    vuls, offset, resp = [], 0, first
    while True:
        assert resp["TotalCount"] == total, (offset, resp["TotalCount"], total)
        assert len(resp["Vuls"]) == max(0, min(page, total - offset)), (offset, total, len(resp["Vuls"]))
        vuls.extend(resp["Vuls"])
        offset += page
        if offset >= total:
            break
        resp = call(c, "DescribeVuls", dict(params, Offset=offset, Limit=page))
    ids = [v["Id"] for v in vuls]
    assert len(ids) == len(set(ids)) == total, "paging repeats or loses vulnerabilities: %s" % ids
    return total, vuls


def path_of(vul):
    return urllib.parse.urlparse(vul["Url"]).path


def find(vuls, nickname, path, param):
    return [v for v in vuls if v["Nickname"] == nickname and path_of(v) == path and v["Parameter"] == param]


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def wait_scan(c, site_id, task_id=None, newer_than=0):
    """DescribeSites until the site's last scan (task `task_id`, or any task newer than
    `newer_than`) has ended; returns the site row."""
    deadline = time.monotonic() + SCAN_TIMEOUT_S
    site = None
    while time.monotonic() < deadline:
        site = get_site(c, site_id)
        t = site["LastScanTaskId"]
        ours = t == task_id if task_id is not None else t > newer_than
        if ours and site["ScanStatus"] == 2:
            return site
        time.sleep(1.0)
    pytest.fail("scan of site %s not finished within %ss: %s" % (site_id, SCAN_TIMEOUT_S, json.dumps(site)),
                pytrace=False)


# --------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------

class NxDomain:
    """A DNS stub on 127.0.0.1 (UDP and TCP) that answers NXDOMAIN to every query."""

    def __init__(self):
        # One port number for both transports: the kernel picks a free UDP port, which may be
        # taken for TCP by another test's server, so try a bounded number of picks.
        for attempt in range(50):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
                if attempt == 49:
                    raise
        self.tcp.listen(8)
        self.names = []
        self.stopped = False
        for target in (self._serve_udp, self._serve_tcp):
            threading.Thread(target=target, daemon=True).start()

    def answer(self, query):
        if len(query) < 12:
            return None
        qid, flags = struct.unpack("!HH", query[:4])
        end = 12
        labels = []
        while end < len(query) and query[end]:
            labels.append(query[end + 1:end + 1 + query[end]].decode(errors="replace"))
            end += 1 + query[end]
        question = query[12:end + 5]  # name, its zero byte, QTYPE, QCLASS
        self.names.append(".".join(labels))
        rd = flags & 0x0100
        return struct.pack("!HHHHHH", qid, 0x8000 | rd | 0x0080 | 3, 1, 0, 0, 0) + question

    def _serve_udp(self):
        while not self.stopped:
            try:
                data, peer = self.udp.recvfrom(4096)
            except OSError:
                return
            reply = self.answer(data)
            if reply:
                self.udp.sendto(reply, peer)

    def _serve_tcp(self):
        while not self.stopped:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                try:
                    conn.settimeout(5)
                    (n,) = struct.unpack("!H", conn.recv(2))
                    reply = self.answer(conn.recv(n))
                    if reply:
                        conn.sendall(struct.pack("!H", len(reply)) + reply)
                except (OSError, struct.error):
                    pass

    def stop(self):
        self.stopped = True
        self.udp.close()
        self.tcp.close()


@pytest.fixture(scope="module")
def nxdomain():
    dns = NxDomain()
    yield dns
    dns.stop()


@pytest.fixture(scope="module")
def server(request, vigil_bin, nxdomain):
    """A server whose operator scope is loopback: loopback sites are verified on creation."""
    srv, accounts = _server(request, vigil_bin, "cws-scans", ["cws-a", "cws-b"],
                            extra_args=["--scope-allow", "127.0.0.0/8",
                                        "--dns-server", "127.0.0.1:%d" % nxdomain.port])
    srv.accounts = accounts
    return srv


def client(srv, account):
    cred = credential.Credential(account.secret_id, account.secret_key)
    return cws_client.CwsClient(cred, REGION, make_profile(srv))


@pytest.fixture(scope="module")
def ca(server):
    return client(server, server.accounts["cws-a"])


@pytest.fixture(scope="module")
def cb(server):
    return client(server, server.accounts["cws-b"])


@pytest.fixture(scope="module")
def app():
    """The vulnerable app on 127.0.0.1:<free port>; its URL."""
    proc = subprocess.Popen([sys.executable, str(VULNAPP), "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    line = proc.stdout.readline() if sel.select(timeout=20) else ""
    sel.close()
    if not line.startswith("READY "):
        stop_process(proc)
        pytest.fail("vulnapp did not print READY within 20 s (got %r; jinja2 and lxml are "
                    "needed in %s)" % (line, sys.executable), pytrace=False)
    # drain anything else it prints, so it can never block on a full pipe
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    yield "http://127.0.0.1:%d/" % int(line.split()[1])
    stop_process(proc)


@pytest.fixture(scope="module")
def app_site(ca, app):
    """The app registered as a site of account A (verified by the operator scope)."""
    created = call(ca, "CreateSites", {"Urls": [app]})
    assert created["Number"] == 1, created
    site_id = created["Sites"][0]["SiteId"]
    assert created["Sites"][0]["Url"] == app
    site = get_site(ca, site_id)
    assert site["VerifyStatus"] == 1, "the operator scope (127.0.0.0/8) verifies the site: %r" % site
    return {"site_id": site_id, "url": app}


@pytest.fixture(scope="module")
def scanned(ca, app_site):
    """The app's site scanned once (normal, 1000 requests per second)."""
    site_id, app = app_site["site_id"], app_site["url"]
    before = get_site(ca, site_id)
    assert before["ScanStatus"] == 0 and before["LastScanTaskId"] == 0, before

    started = time.monotonic()
    resp = call(ca, "CreateSitesScans", {"SiteIds": [site_id], "ScannerType": "normal",
                                         "RateLimit": RATE})
    assert set(resp) == {"RequestId"}, resp
    running = get_site(ca, site_id)
    assert running["LastScanTaskId"] > 0 and running["ScanStatus"] in (1, 2), (
        "DescribeSites right after CreateSitesScans must show the queued/running scan "
        "(ScanStatus 1, its LastScanTaskId): %s" % json.dumps(running))
    site = wait_scan(ca, site_id, newer_than=0)
    print("first scan: %.1f s, %r" % (time.monotonic() - started,
                                      {k: v for k, v in site.items() if k.startswith("LastScan")}))
    return {"site_id": site_id, "url": app, "site": site}


# --------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------

def test_notice_level_config(ca):
    cfg = call(ca, "DescribeConfig")
    assert cfg["NoticeLevel"] == "1111", cfg
    for key in ("Id", "Appid", "ContentLevel"):
        assert is_int(cfg[key]), (key, cfg)
    assert isinstance(cfg["CreatedAt"], str) and isinstance(cfg["UpdatedAt"], str), cfg

    assert set(call(ca, "ModifyConfigAttribute", {"NoticeLevel": "1100"})) == {"RequestId"}
    assert call(ca, "DescribeConfig")["NoticeLevel"] == "1100"
    code, msg = error_code(ca, "ModifyConfigAttribute", {"NoticeLevel": "12"})
    assert code == "InvalidParameterValue", (code, msg)
    assert call(ca, "DescribeConfig")["NoticeLevel"] == "1100"


def test_unverified_site_and_bad_scan_parameters(ca, nxdomain):
    created = call(ca, "CreateSites", {"Urls": ["http://unverified.example/"]})
    unverified = created["Sites"][0]["SiteId"]
    # a verified loopback site, so that only the parameter is wrong in the last two calls
    verified = call(ca, "CreateSites", {"Urls": ["http://127.0.0.3:9/"]})["Sites"][0]["SiteId"]
    try:
        site = get_site(ca, unverified)
        assert site["VerifyStatus"] == 0, site
        assert "unverified.example" in nxdomain.names, nxdomain.names
        assert get_site(ca, verified)["VerifyStatus"] == 1

        code, msg = error_code(ca, "CreateSitesScans", {"SiteIds": [unverified],
                                                        "ScannerType": "normal", "RateLimit": 10})
        assert code == "UnauthorizedOperation", (code, msg)
        code, msg = error_code(ca, "CreateSitesScans", {"SiteIds": [UNKNOWN_ID],
                                                        "ScannerType": "normal", "RateLimit": 10})
        assert code == "ResourceNotFound", (code, msg)
        code, msg = error_code(ca, "CreateSitesScans", {"SiteIds": [verified],
                                                        "ScannerType": "fast", "RateLimit": 10})
        assert code == "InvalidParameterValue", (code, msg)
        code, msg = error_code(ca, "CreateSitesScans", {"SiteIds": [verified],
                                                        "ScannerType": "normal", "RateLimit": 0})
        assert code == "InvalidParameterValue", (code, msg)
        for sid in (unverified, verified):
            site = get_site(ca, sid)
            assert (site["ScanStatus"], site["LastScanTaskId"]) == (0, 0), site
    finally:
        call(ca, "DeleteSites", {"SiteIds": [unverified, verified]})


def test_full_scan_flow(ca, scanned):
    site_id, app = scanned["site_id"], scanned["url"]
    site = scanned["site"]
    first_task = site["LastScanTaskId"]
    assert site["ScanStatus"] == 2 and site["Progress"] == 100, site
    assert is_int(first_task) and first_task > 0, site
    assert site["LastScanPageCount"] > 0, site
    assert site["LastScanRateLimit"] == RATE, site
    assert site["LastScanScannerType"] == "normal", site
    assert site["LastScanVulsHighNum"] > 0, site
    assert site["LastScanFinishTime"], site
    assert site["LastScanStartTime"] and site["LastScanCancelTime"] == "", site
    assert site["LastScanVulsNum"] == (site["LastScanVulsHighNum"] + site["LastScanVulsMiddleNum"]
                                       + site["LastScanVulsLowNum"]), site

    # --- DescribeVuls: paging, fields, the known cases and their safe twins ---------------
    total, vuls = all_vuls(ca, SiteId=site_id)
    assert total > 0
    assert all_vuls(ca, page=100)[0] == total, "the account has this one scanned site"
    for v in vuls:
        missing = [k for k, val in v.items() if val is None]
        assert not missing, "Vul lacks %s: %r" % (missing, v)
        assert v["Level"] in LEVELS, v
        assert v["SiteId"] == site_id and v["Url"].startswith(app.rstrip("/")), v
        assert v["IsReported"] == 0, v
        assert is_int(v["Id"]) and is_int(v["TaskId"]) and v["TaskId"] > 0, v
        assert v["Name"] and v["Nickname"], v
    (xss,) = find(vuls, "xss", "/xss/html", "q")
    (sqli,) = find(vuls, "sqli", "/sql/search", "q")
    assert xss["Level"] == "high" and sqli["Level"] == "high", (xss, sqli)
    for v in (xss, sqli):
        assert v["Html"] and v["Harm"] and v["Describe"] and v["Solution"] and v["From"], v
    safe = [v for v in vuls if path_of(v) in ("/xss/html-safe", "/sql/search-safe")]
    assert not safe, "vulnerabilities reported on safe twins: %r" % safe

    # --- filters ---------------------------------------------------------------------------
    n_high, highs = all_vuls(ca, SiteId=site_id, Filters=[{"Name": "Level", "Values": ["high"]}])
    assert n_high == sum(v["Level"] == "high" for v in vuls) and n_high > 0
    assert {v["Level"] for v in highs} == {"high"}
    _, xsses = all_vuls(ca, SiteId=site_id, Filters=[{"Name": "Nickname", "Values": ["xss"]}])
    assert xsses and {v["Nickname"] for v in xsses} == {"xss"} and xss["Id"] in {v["Id"] for v in xsses}
    assert len(xsses) == sum(v["Nickname"] == "xss" for v in vuls)
    code, msg = error_code(ca, "DescribeVuls", {"SiteId": site_id,
                                                "Filters": [{"Name": "Colour", "Values": ["red"]}]})
    assert code == "InvalidParameterValue", (code, msg)

    # --- DescribeVulsNumber ------------------------------------------------------------------
    num = call(ca, "DescribeVulsNumber")
    assert num["SiteNumber"] == 1 and num["ImpactSiteNumber"] == 1, num
    assert num["Sites"] == [{"SiteId": site_id, "Url": app}], num
    assert num["ImpactSites"] == [{"SiteId": site_id, "Url": app}], num
    assert num["VulsHighNumber"] == n_high, (num, n_high)
    assert num["VulsHighNumber"] == site["LastScanVulsHighNum"], (num, site)
    for key, level in (("VulsMiddleNumber", "middle"), ("VulsLowNumber", "low"),
                       ("VulsNoticeNumber", "notice")):
        assert num[key] == sum(v["Level"] == level for v in vuls), (key, num)
    assert num["PageCount"] == site["LastScanPageCount"], (num, site)

    # --- a false positive ----------------------------------------------------------------------
    assert set(call(ca, "CreateVulsMisinformation", {"VulIds": [xss["Id"]]})) == {"RequestId"}
    (marked,) = find(all_vuls(ca, SiteId=site_id)[1], "xss", "/xss/html", "q")
    assert marked["Id"] == xss["Id"] and marked["IsReported"] == 1, marked
    reported = all_vuls(ca, SiteId=site_id, Filters=[{"Name": "IsReported", "Values": ["1"]}])[1]
    assert [v["Id"] for v in reported] == [xss["Id"]], reported
    after = call(ca, "DescribeVulsNumber")
    assert after["VulsHighNumber"] == num["VulsHighNumber"] - 1, (after, num)
    assert get_site(ca, site_id)["LastScanVulsHighNum"] == site["LastScanVulsHighNum"] - 1

    # --- one scan of a site at a time; the rescan keeps the false positive ----------------------
    call(ca, "CreateSitesScans", {"SiteIds": [site_id], "ScannerType": "normal", "RateLimit": RATE})
    code, msg = error_code(ca, "CreateSitesScans", {"SiteIds": [site_id], "ScannerType": "normal",
                                                    "RateLimit": RATE})
    assert code == "ResourceInUse", (code, msg)
    running = get_site(ca, site_id)
    second_task = running["LastScanTaskId"]
    assert second_task > first_task, running
    assert running["ScanStatus"] == 1, running
    started = time.monotonic()
    rescanned = wait_scan(ca, site_id, task_id=second_task)
    print("rescan: %.1f s" % (time.monotonic() - started))
    assert rescanned["Progress"] == 100 and rescanned["LastScanFinishTime"], rescanned
    total2, vuls2 = all_vuls(ca, SiteId=site_id)
    again = find(vuls2, "xss", "/xss/html", "q")
    assert [(v["Id"], v["IsReported"]) for v in again] == [(xss["Id"], 1)], again
    (sqli2,) = find(vuls2, "sqli", "/sql/search", "q")
    assert sqli2["Id"] == sqli["Id"] and sqli2["IsReported"] == 0, sqli2
    assert call(ca, "DescribeVulsNumber")["VulsHighNumber"] == sum(
        v["Level"] == "high" and v["IsReported"] == 0 for v in vuls2)
    print("vulnerabilities: %d after the first scan, %d after the rescan" % (total, total2))

    # --- the daily timeline --------------------------------------------------------------------
    tl = call(ca, "DescribeVulsNumberTimeline")
    assert tl["TotalCount"] >= 1 and len(tl["VulsTimeline"]) == tl["TotalCount"], tl
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    (entry,) = [e for e in tl["VulsTimeline"] if e["Date"] == today]
    assert entry["VulsHighNum"] >= 1, entry
    missing = [k for k, val in entry.items() if val is None]
    assert not missing, "VulsTimeline lacks %s: %r" % (missing, entry)

    # --- the HTML report behind a signed link --------------------------------------------------
    link = call(ca, "CreateVulsReport", {"SiteId": site_id})["ReportFileUrl"]
    parts = urllib.parse.urlsplit(link)
    assert parts.hostname == "127.0.0.1", link
    with _DIRECT.open(link, timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html"), resp.headers["Content-Type"]
        page = resp.read().decode()
    assert "<svg" in page and "/xss/html" in page, page[:2000]
    query = urllib.parse.parse_qs(parts.query)
    sig = query["sig"][0]
    query["sig"] = [sig[:-1] + ("0" if sig[-1] != "0" else "1")]
    tampered = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, doseq=True)))
    with pytest.raises(urllib.error.HTTPError) as bad:
        _DIRECT.open(tampered, timeout=30)
    assert bad.value.code == 403, bad.value
    code, msg = error_code(ca, "CreateVulsReport", {})
    assert code == "MissingParameter", (code, msg)


def test_tenant_isolation(ca, cb, scanned):
    site_id = scanned["site_id"]
    _, vuls = all_vuls(ca, SiteId=site_id)
    vul_id = vuls[0]["Id"]
    listed = call(cb, "DescribeVuls", {"Limit": 100})
    assert listed["TotalCount"] == 0 and listed["Vuls"] == [], listed
    num = call(cb, "DescribeVulsNumber")
    assert (num["SiteNumber"], num["VulsHighNumber"], num["ImpactSiteNumber"]) == (0, 0, 0), num
    code, msg = error_code(cb, "CreateVulsMisinformation", {"VulIds": [vul_id]})
    assert code == "ResourceNotFound", (code, msg)
    code, msg = error_code(cb, "CreateSitesScans", {"SiteIds": [site_id], "ScannerType": "normal",
                                                    "RateLimit": 10})
    assert code == "ResourceNotFound", (code, msg)
    code, msg = error_code(cb, "CreateVulsReport", {"SiteId": site_id})
    assert code == "ResourceNotFound", (code, msg)
    # nothing of A changed
    (v,) = [x for x in all_vuls(ca, SiteId=site_id)[1] if x["Id"] == vul_id]
    assert v["IsReported"] == vuls[0]["IsReported"], v


def test_monitors(ca, app_site):
    site_id, app = app_site["site_id"], app_site["url"]
    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
                ).strftime("%Y-%m-%d %H:%M:%S")
    params = {"Urls": [app], "Name": "nightly app", "ScannerType": "normal", "Crontab": 24,
              "RateLimit": 100, "FirstScanStartTime": tomorrow}
    assert set(call(ca, "CreateMonitors", params)) == {"RequestId"}
    resp = call(ca, "DescribeMonitors")
    assert resp["TotalCount"] == 1 and len(resp["Monitors"]) == 1, resp
    (mon,) = resp["Monitors"]
    basic = mon["Basic"]
    mid = basic["Id"]
    assert is_int(mid) and mid > 0, basic
    assert (basic["Name"], basic["MonitorStatus"], basic["Crontab"], basic["RateLimit"],
            basic["FirstScanStartTime"], basic["ScannerType"]) == (
        "nightly app", 1, 24, 100, tomorrow, "normal"), basic
    assert mon["Sites"] == [{"SiteId": site_id, "Url": app}], mon
    assert mon["SiteNumber"] == 1, mon
    assert call(ca, "DescribeMonitors", {"MonitorIds": [mid]})["TotalCount"] == 1
    site = get_site(ca, site_id)
    assert (site["MonitorId"], site["MonitorStatus"]) == (mid, 1), site

    call(ca, "ModifyMonitorAttribute", dict(params, MonitorId=mid, MonitorStatus=2))
    (mon,) = call(ca, "DescribeMonitors")["Monitors"]
    assert mon["Basic"]["MonitorStatus"] == 2, mon
    assert get_site(ca, site_id)["MonitorStatus"] == 2

    code, msg = error_code(ca, "CreateMonitors", dict(params, Name="second"))
    assert code == "InvalidParameterValue", (code, msg)
    code, msg = error_code(ca, "CreateMonitors", dict(params, Urls=["http://127.0.0.4:9/"]))
    assert code == "InvalidParameter.NotFound", (code, msg)
    assert call(ca, "DescribeMonitors")["TotalCount"] == 1

    assert set(call(ca, "DeleteMonitors", {"MonitorIds": [mid]})) == {"RequestId"}
    gone = call(ca, "DescribeMonitors")
    assert gone["TotalCount"] == 0 and gone["Monitors"] == [], gone
    site = get_site(ca, site_id)
    assert (site["MonitorId"], site["MonitorStatus"]) == (0, 0), site
    code, msg = error_code(ca, "DeleteMonitors", {"MonitorIds": [mid]})
    assert code == "ResourceNotFound", (code, msg)
    # only the interval is wrong now (the site is in no monitor)
    code, msg = error_code(ca, "CreateMonitors", dict(params, Crontab=0))
    assert code == "InvalidParameterValue", (code, msg)
    assert call(ca, "DescribeMonitors")["TotalCount"] == 0


def test_tccli_describe_vuls_number(server, ca, app_site, tmp_path):
    tccli = Path(sys.executable).with_name("tccli")
    if not tccli.is_file():
        pytest.fail("tccli not found next to %s" % sys.executable, pytrace=False)
    account = server.accounts["cws-a"]
    env = {k: v for k, v in os.environ.items()
           if k not in PROXY_VARS and not k.startswith(("TENCENTCLOUD_", "TCCLI_"))}
    env["HOME"] = str(tmp_path)
    res = subprocess.run([str(tccli), "cws", "DescribeVulsNumber",
                          "--endpoint", "http://" + server.endpoint, "--region", REGION,
                          "--secretId", account.secret_id, "--secretKey", account.secret_key],
                         env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=60)
    assert res.returncode == 0, (res.stdout, res.stderr)
    out = json.loads(res.stdout)
    sdk = call(ca, "DescribeVulsNumber")
    for key in ("SiteNumber", "ImpactSiteNumber", "VulsHighNumber", "VulsMiddleNumber",
                "VulsLowNumber", "VulsNoticeNumber", "PageCount", "Sites"):
        assert out[key] == sdk[key], (key, out, sdk)
    assert out["SiteNumber"] == 1 and out["Sites"][0]["SiteId"] == app_site["site_id"], out
