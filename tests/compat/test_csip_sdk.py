"""CSIP (2022-11-21) risk center driven through the official SDK: assets, risk scan tasks
that really scan loopback servers started here (Redis without auth, Redis with a weak
password, nginx with directory listing), the risk views, triage, rescans that fix risks,
reports behind signed links, the finish webhook, tenant isolation, and scan item poc: the
template catalogue installed with `vigil templates update` (and its install time), listed as
vulnerability checks, run on a vulnerable web server and its safe twin, its findings in both
generations of vulnerability views, and checked again with `CreateVulReScan`.

Every byte goes to 127.0.0.0/8."""

import http.server
import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.csip.v20221121 import csip_client, models

from conftest import _DIRECT, _server, free_loopback_port, make_profile, stop_process

# The SDK warns about response fields its models do not have: make that a failure, so every
# response shape is checked field by field.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

REGION = "ap-guangzhou"
SCAN_TIMEOUT_S = 180.0


def wait_port(port, timeout=15.0):
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nothing listens on 127.0.0.1:%d after %ss" % (port, timeout), pytrace=False)


class Proc:
    def __init__(self, cmd, port, root):
        self.port = port
        self.root = root
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)

    def stop(self):
        stop_process(self.proc)


def redis(password=None):
    root = tempfile.mkdtemp(prefix="vigil-csip-redis-")
    port = free_loopback_port()
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", root, "--protected-mode", "no"]
    if password:
        cmd += ["--requirepass", password]
    return Proc(cmd, port, root)


def nginx_listing():
    root = Path(tempfile.mkdtemp(prefix="vigil-csip-nginx-"))
    (root / "www").mkdir()
    (root / "www" / "backup.tar").write_text("x")
    port = free_loopback_port()
    conf = root / "nginx.conf"
    conf.write_text("""
user root;
daemon off;
worker_processes 1;
pid %(r)s/nginx.pid;
error_log %(r)s/error.log;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(r)s/tmp;
    proxy_temp_path %(r)s/tmp;
    fastcgi_temp_path %(r)s/tmp;
    uwsgi_temp_path %(r)s/tmp;
    scgi_temp_path %(r)s/tmp;
    server { listen 127.0.0.1:%(p)d; root %(r)s/www; autoindex on; }
}
""" % {"r": root, "p": port})
    (root / "tmp").mkdir()
    return Proc(["nginx", "-c", str(conf), "-p", str(root)], port, str(root))


class Hook(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def targets():
    servers = {"open": redis(), "weak": redis("123456"), "web": nginx_listing()}
    yield servers
    for s in servers.values():
        s.stop()
        shutil.rmtree(s.root, ignore_errors=True)


@pytest.fixture(scope="module")
def hook():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d/done" % srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def csip_server(request, vigil_bin):
    """A server whose operator scope is loopback: loopback targets are authorised."""
    server, accounts = _server(request, vigil_bin, "csip", ["csip-a", "csip-b"],
                               extra_args=["--scope-allow", "127.0.0.0/8"])
    server.accounts = accounts
    return server


def client(server, account):
    cred = credential.Credential(account.secret_id, account.secret_key)
    return csip_client.CsipClient(cred, REGION, make_profile(server))


@pytest.fixture(scope="module")
def ca(csip_server):
    return client(csip_server, csip_server.accounts["csip-a"])


@pytest.fixture(scope="module")
def cb(csip_server):
    return client(csip_server, csip_server.accounts["csip-b"])


def call(c, action, params):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params))
    return json.loads(getattr(c, action)(req).to_json_string())


def error_code(c, action, params):
    with pytest.raises(TencentCloudSDKException) as exc:
        call(c, action, params)
    return exc.value.get_code(), exc.value.get_message()


def wait_done(c, task_id, runs=1):
    deadline = time.monotonic() + SCAN_TIMEOUT_S
    row = None
    while time.monotonic() < deadline:
        data = call(c, "DescribeScanTaskList", {"Filter": {"Limit": 100}})["Data"]
        row = next(r for r in data if r["TaskId"] == task_id)
        if row["ScanStatus"] in (2, 3, 4) and row["ReportNumber"] >= runs:
            return row
        time.sleep(0.5)
    pytest.fail("task %s not finished within %ss: %r" % (task_id, SCAN_TIMEOUT_S, row), pytrace=False)


def rows(c, action, filters=None, limit=100):
    f = {"Limit": limit}
    if filters:
        f["Filters"] = filters
    return call(c, action, {"Filter": f})


def test_assets_register_list_and_delete(ca, cb):
    r = call(ca, "CreateDomainAndIp", {"Content": ["127.0.0.1", "scan.vigil.test"],
                                       "Tags": [{"TagKey": "env", "TagValue": "lab"}]})
    assert r["Data"] == 2
    assert call(ca, "CreateDomainAndIp", {"Content": ["127.0.0.1"]})["Data"] == 0
    ips = rows(ca, "DescribePublicIpAssets")
    row = next(d for d in ips["Data"] if d["PublicIp"] == "127.0.0.1")
    assert row["VerifyStatus"] == 1, "operator scope authorises loopback"
    assert row["Tag"] == [{"Name": "env", "Value": "lab"}]
    doms = rows(ca, "DescribeDomainAssets", [{"Name": "SubDomain", "Values": ["vigil.test"], "OperatorType": 9}])
    assert doms["Total"] == 1
    assert doms["Data"][0]["AssetId"] == ["scan.vigil.test"]
    assert doms["Data"][0]["VerifyDomain"] == "_vigil-verify.scan.vigil.test"
    assert rows(cb, "DescribePublicIpAssets")["Total"] == 0, "tenants are isolated"
    code, _ = error_code(ca, "CreateDomainAndIp", {"Content": ["not a host!"]})
    assert code == "InvalidParameterValue"
    code, _ = error_code(ca, "CreateDomainAndIp", {"Content": ["10.0.0.1"], "MemberId": ["m-1"]})
    assert code == "UnsupportedOperation"
    code, _ = error_code(ca, "DescribeDomainAssets", {"Filter": {"Filters": [{"Name": "Nope", "Values": ["x"]}]}})
    assert code == "InvalidParameterValue"
    assert call(ca, "DeleteDomainAndIp", {"Content": [{"Asset": "scan.vigil.test"}]})["Data"] == 1
    assert rows(ca, "DescribeDomainAssets")["Total"] == 0


def task_params(targets, hook=None, **extra):
    ports = ",".join(str(s.port) for s in targets.values())
    p = {"TaskName": "loopback", "ScanAssetType": 3, "SelfDefiningAssets": ["127.0.0.1"],
         "ScanItem": ["port", "weakpass", "exposedserver", "configrisk"], "ScanPlanType": 1,
         "TaskMode": 1, "TaskAdvanceCFG": {"PortRisk": [{"PortSets": ports, "CheckType": 1,
                                                         "Detail": "test servers", "Enable": 1}]}}
    if hook:
        p["FinishWebHook"] = hook
    p.update(extra)
    return p


def test_unverified_assets_are_listed_and_nothing_is_created(vigil_main, account_a, targets):
    c = client(vigil_main, account_a)
    r = call(c, "CreateRiskCenterScanTask", task_params(targets))
    assert r["Status"] == -1
    assert r["UnAuthAsset"] == ["127.0.0.1"]
    assert r["TaskId"] == ""
    assert call(c, "DescribeScanTaskList", {})["TotalCount"] == 0
    # Outside an operator allow rule, callbacks may not reach internal addresses.
    code, msg = error_code(c, "CreateRiskCenterScanTask", task_params(targets, "http://127.0.0.1:9/hook"))
    assert code == "InvalidParameterValue" and "internal" in msg


@pytest.mark.parametrize("item", ["webcontent"])
def test_items_without_engine_are_refused_by_name(ca, targets, item):
    code, msg = error_code(ca, "CreateRiskCenterScanTask", task_params(targets, ScanItem=["port", item]))
    assert code == "UnsupportedOperation"
    assert item in msg


def test_bad_plans_are_refused(ca, targets):
    for plan, content in [(0, None), (0, "not a cron"), (2, "2001-01-01 00:00:00")]:
        p = task_params(targets, ScanPlanType=plan)
        if content:
            p["ScanPlanContent"] = content
        code, _ = error_code(ca, "CreateRiskCenterScanTask", p)
        assert code in ("MissingParameter", "InvalidParameterValue"), (plan, content, code)
    code, _ = error_code(ca, "CreateRiskCenterScanTask", task_params(targets, FinishWebHook="ftp://127.0.0.1/x"))
    assert code == "InvalidParameterValue"


def test_periodic_task_is_saved_with_its_plan(ca, targets):
    r = call(ca, "CreateRiskCenterScanTask",
             task_params(targets, TaskName="nightly", ScanPlanType=0, ScanPlanContent="0 0 3 * * ? *"))
    assert r["Status"] == 0
    row = next(d for d in call(ca, "DescribeScanTaskList", {"Filter": {"Limit": 100}})["Data"]
               if d["TaskId"] == r["TaskId"])
    assert (row["TaskType"], row["ScanStatus"], row["Frequency"], row["ReportNumber"]) == (0, 0, 1, 0)
    r2 = call(ca, "ModifyRiskCenterScanTask",
              dict(task_params(targets, TaskName="weekly", ScanPlanType=0, ScanPlanContent="0 0 3 ? * MON *"),
                   TaskId=r["TaskId"]))
    assert r2["Status"] == 0
    row = next(d for d in call(ca, "DescribeScanTaskList", {"Filter": {"Limit": 100}})["Data"]
               if d["TaskId"] == r["TaskId"])
    assert (row["TaskName"], row["Frequency"]) == ("weekly", 7)
    call(ca, "DeleteRiskScanTask", {"TaskIdList": [{"TaskId": r["TaskId"]}]})
    ids = [d["TaskId"] for d in call(ca, "DescribeScanTaskList", {"Filter": {"Limit": 100}})["Data"]]
    assert r["TaskId"] not in ids


def test_full_scan_flow(ca, cb, csip_server, targets, hook):
    open_port, weak_port, web_port = (targets[k].port for k in ("open", "weak", "web"))
    r = call(ca, "CreateRiskCenterScanTask", task_params(targets, hook, TaskName="flow"))
    assert r["Status"] == 0 and r["UnAuthAsset"] == []
    task_id = r["TaskId"]
    row = wait_done(ca, task_id)
    assert row["ScanStatus"] == 2, row["ErrorInfo"]
    assert row["Percent"] == 100
    assert row["AssetNumber"] == 1
    assert row["RiskCount"] > 0

    ports = rows(ca, "DescribeRiskCenterAssetViewPortRiskList",
                 [{"Name": "AffectAsset", "Values": ["127.0.0.1"]}], limit=1000)
    by_port = {d["Port"]: d for d in ports["Data"]}
    for p in (open_port, weak_port, web_port):
        assert p in by_port, "port %d not reported: %r" % (p, sorted(by_port))
    assert by_port[open_port]["Service"] == "redis"
    assert by_port[open_port]["Level"] == "high"
    assert by_port[web_port]["Service"] == "http"
    view = rows(ca, "DescribeRiskCenterPortViewPortRiskList",
                [{"Name": "Port", "Values": [str(open_port)]}])
    assert view["TotalCount"] == 1 and view["Data"][0]["AffectAssetCount"] == "1"

    servers = rows(ca, "DescribeRiskCenterServerRiskList")["Data"]
    exposed = [d for d in servers if d["Port"] == open_port]
    assert len(exposed) == 1, servers
    assert not [d for d in servers if d["Port"] == weak_port], "auth-protected redis is not exposed"

    weak = rows(ca, "DescribeRiskCenterAssetViewWeakPasswordRiskList")["Data"]
    hits = [d for d in weak if d["Port"] == weak_port]
    assert len(hits) == 1, weak
    # One masking policy everywhere: at most four characters or a quarter of the secret.
    assert "1****" in hits[0]["Payload"] and "123456" not in json.dumps(hits)
    assert not [d for d in weak if d["Port"] == open_port]

    cfg = rows(ca, "DescribeRiskCenterAssetViewCFGRiskList",
               [{"Name": "CFGName", "Values": ["http_directory_listing"]}])["Data"]
    assert [d["AffectAsset"] for d in cfg] == ["127.0.0.1"]
    assert rows(ca, "DescribeRiskCenterCFGViewCFGRiskList",
                [{"Name": "CFGName", "Values": ["http_directory_listing"]}])["TotalCount"] == 1
    cfg_view = rows(ca, "DescribeRiskCenterCFGViewCFGRiskList",
                    [{"Name": "Status", "Values": ["0"]}, {"Name": "InstanceType", "Values": ["PublicIp"]}])
    assert cfg_view["TotalCount"] >= 1
    assert [x["Value"] for x in cfg_view["StatusLists"]] == ["0"]
    assert cfg_view["InstanceTypeLists"], cfg_view

    # The webhook was called through the scope guard with the outcome.
    deadline = time.monotonic() + 15
    while not Hook.received and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Hook.received and Hook.received[0]["state"] == "succeeded"
    assert Hook.received[0]["findings"] == row["RiskCount"]

    # Report of the run, behind a signed link.
    logs = rows(ca, "DescribeTaskLogList")["Data"]
    log = next(d for d in logs if d["TaskCenterTaskId"] == task_id)
    assert log["Status"] == 2 and log["RiskNumber"] == row["RiskCount"]
    url = call(ca, "DescribeTaskLogURL", {"ReportItemKeyList": [{"TaskLogList": [log["TaskLogId"]]}]})["Data"][0]["URL"]
    with _DIRECT.open(url, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/html")
        page = resp.read().decode()
    assert "redis" in page and str(open_port) in page and "123456" not in page
    with pytest.raises(urllib.error.HTTPError) as bad:
        _DIRECT.open(url.replace("sig=", "sig=00"), timeout=10)
    assert bad.value.code == 403
    code, _ = error_code(cb, "DescribeTaskLogURL", {"ReportItemKeyList": [{"TaskLogList": [log["TaskLogId"]]}]})
    assert code == "ResourceNotFound"

    # Triage: ignore the exposed redis; a wrong type is refused.
    risk_id = exposed[0]["Id"]
    code, _ = error_code(ca, "ModifyRiskCenterRiskStatus",
                         {"RiskStatusKeys": [{"Id": risk_id}], "Status": 2, "Type": 0})
    assert code == "ResourceNotFound"
    call(ca, "ModifyRiskCenterRiskStatus", {"RiskStatusKeys": [{"Id": risk_id}], "Status": 2, "Type": 5})
    assert next(d for d in rows(ca, "DescribeRiskCenterServerRiskList")["Data"] if d["Id"] == risk_id)["Status"] == 2
    # Undo acts only on the state it undoes: "undo handled" on an ignored risk is refused;
    # "undo ignored" reopens it; ignored again for the rescan below.
    code, msg = error_code(ca, "ModifyRiskCenterRiskStatus",
                           {"RiskStatusKeys": [{"Id": risk_id}], "Status": 3, "Type": 5})
    assert code == "FailedOperation" and "ignored" in msg
    call(ca, "ModifyRiskCenterRiskStatus", {"RiskStatusKeys": [{"Id": risk_id}], "Status": 4, "Type": 5})
    assert next(d for d in rows(ca, "DescribeRiskCenterServerRiskList")["Data"] if d["Id"] == risk_id)["Status"] == 0
    call(ca, "ModifyRiskCenterRiskStatus", {"RiskStatusKeys": [{"Id": risk_id}], "Status": 2, "Type": 5})

    # Tenants see nothing of each other.
    assert rows(cb, "DescribeRiskCenterAssetViewPortRiskList")["TotalCount"] == 0
    code, _ = error_code(cb, "StopRiskCenterTask", {"TaskIdList": [{"TaskId": task_id}]})
    assert code == "ResourceNotFound"
    code, _ = error_code(cb, "ModifyRiskCenterRiskStatus",
                         {"RiskStatusKeys": [{"Id": risk_id}], "Status": 1, "Type": 5})
    assert code == "ResourceNotFound"

    # Fix the weak password and rescan: that risk becomes handled (1), nothing duplicates,
    # the ignored one stays ignored.
    targets["weak"].stop()
    targets["weak"] = redis("a-long-random-password-7f3k9q")
    weak_port2 = targets["weak"].port
    again = call(ca, "ScanCSIPTaskAgain", {"TaskId": int(task_id)})
    assert again == {"SuccessCount": 1, "TaskId": int(task_id), "RequestId": again["RequestId"]}
    row = wait_done(ca, task_id, runs=2)
    assert row["ScanStatus"] == 2 and row["CompleteNumber"] == 2
    weak = rows(ca, "DescribeRiskCenterAssetViewWeakPasswordRiskList")["Data"]
    assert [d["Status"] for d in weak if d["Port"] == weak_port] == [1]
    assert not [d for d in weak if d["Port"] == weak_port2]
    servers = rows(ca, "DescribeRiskCenterServerRiskList")["Data"]
    assert [d["Status"] for d in servers if d["Port"] == open_port] == [2]
    ports = rows(ca, "DescribeRiskCenterAssetViewPortRiskList",
                 [{"Name": "Port", "Values": [str(web_port)]}])["Data"]
    assert len(ports) == 1 and ports[0]["FirstTime"] <= ports[0]["RecentTime"]
    assert len(rows(ca, "DescribeTaskLogList")["Data"]) >= 2

    call(ca, "DeleteRiskScanTask", {"TaskIdList": [{"TaskId": task_id}]})
    code, _ = error_code(ca, "ScanCSIPTaskAgain", {"TaskId": int(task_id)})
    assert code == "ResourceNotFound"
    assert any(d["TaskCenterTaskId"] == task_id for d in rows(ca, "DescribeTaskLogList")["Data"])


TEMPLATES = Path(__file__).resolve().parents[2] / "crates/vigil-engine-poc/tests/data/templates"


class ConfigLeak(http.server.BaseHTTPRequestHandler):
    """Answers /admin/config.php with a leaked configuration when `leaks`, else plainly."""
    leaks = True

    def do_GET(self):
        if self.path.split("?")[0] != "/admin/config.php":
            self.send_response(404)
            self.end_headers()
            return
        body = b"DB_HOST=db\nDB_PASSWORD=hunter2\n" if self.leaks else b"nothing to see\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class SafeTwin(ConfigLeak):
    leaks = False


def web(handler):
    srv = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def install_templates(server):
    root = tempfile.mkdtemp(prefix="vigil-csip-templates-")
    archive = Path(root) / "templates.tar.gz"
    subprocess.run(["tar", "czf", str(archive), "-C", str(TEMPLATES), "."], check=True)
    res = subprocess.run([server.binary, "templates", "update", "--url", "file:%s" % archive,
                          "--data-dir", str(server.data_dir)],
                         capture_output=True, text=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)
    assert res.returncode == 0, res.stderr


def test_poc_without_templates_is_refused_then_vulnerabilities_are_found(ca, cb, csip_server):
    vulnerable, safe = web(ConfigLeak), web(SafeTwin)
    try:
        vuln_url = "http://127.0.0.2:%d" % vulnerable.server_address[1]
        safe_url = "http://127.0.0.2:%d" % safe.server_address[1]
        base = {"ScanAssetType": 3, "ScanPlanType": 1, "TaskMode": 1,
                "TaskAdvanceCFG": {"VulRisk": [{"RiskId": "t-path-word", "Enable": 1}]}}
        code, msg = error_code(ca, "CreateRiskCenterScanTask",
                               dict(base, TaskName="poc", ScanItem=["poc"], SelfDefiningAssets=[vuln_url]))
        assert code == "FailedOperation" and "templates" in msg
        assert rows(ca, "DescribeVULRiskAdvanceCFGList")["TotalCount"] == 0
        info = call(ca, "DescribeVdbAndPocInfo", {})
        assert (info["PocUpdateTime"], info["VdbUpdateTime"]) == ("", "")

        install_templates(csip_server)
        info = call(ca, "DescribeVdbAndPocInfo", {})
        assert time.strptime(info["PocUpdateTime"], "%Y-%m-%d %H:%M:%S") and info["VdbUpdateTime"] == ""
        cfg = rows(ca, "DescribeVULRiskAdvanceCFGList")
        ids = {d["RiskId"] for d in cfg["Data"]}
        assert cfg["TotalCount"] >= 10 and "t-path-word" in ids and "t-tcp-ping" in ids
        high = rows(ca, "DescribeVULRiskAdvanceCFGList", [{"Name": "RiskId", "Values": ["t-path-word"]}])
        assert high["TotalCount"] == 1
        row = high["Data"][0]
        assert (row["VULName"], row["RiskLevel"], row["CVE"], row["Enable"], row["CheckFrom"]) == \
            ("Exposed configuration file", "high", "CVE-2099-0001", 1, "vigil")
        assert row["VULType"] == "exposure" and "config" in row["VULTag"]
        assert {"Value": "high", "Text": "high"} in cfg["RiskLevelLists"]

        code, msg = error_code(ca, "CreateRiskCenterScanTask",
                               dict(base, TaskName="poc", ScanItem=["poc"], SelfDefiningAssets=[vuln_url],
                                    TaskAdvanceCFG={"VulRisk": [{"RiskId": "no-such-check", "Enable": 0}]}))
        assert code == "InvalidParameterValue" and "no-such-check" in msg

        # Port and poc in one task (two engines, one run); poc alone on the twin.
        both = call(ca, "CreateRiskCenterScanTask",
                    dict(base, TaskName="poc+port", ScanItem=["port", "poc"], SelfDefiningAssets=[vuln_url]))
        alone = call(ca, "CreateRiskCenterScanTask",
                     dict(base, TaskName="poc twin", ScanItem=["poc"], SelfDefiningAssets=[safe_url]))
        assert both["Status"] == 0 and alone["Status"] == 0
        for t in (both["TaskId"], alone["TaskId"]):
            row = wait_done(ca, t)
            assert row["ScanStatus"] == 2 and row["Percent"] == 100, row
        listed = {d["TaskId"]: d for d in call(ca, "DescribeScanTaskList", {"Filter": {"Limit": 100}})["Data"]}
        assert listed[both["TaskId"]]["ScanItem"] == "port,poc"
        assert listed[both["TaskId"]]["ReportNumber"] == 1, "two engines, one run"
        assert listed[both["TaskId"]]["RiskCount"] >= 2, "an open port and the vulnerability"
        logs = [d for d in rows(ca, "DescribeTaskLogList")["Data"] if d["TaskCenterTaskId"] == both["TaskId"]]
        assert len(logs) == 1 and logs[0]["Status"] == 2

        per_asset = rows(ca, "DescribeRiskCenterAssetViewVULRiskList",
                         [{"Name": "AffectAsset", "Values": ["127.0.0.2"]}])
        vul = [d for d in per_asset["Data"] if d["POCId"] == "t-path-word"]
        assert len(vul) == 1, per_asset["Data"]
        v = vul[0]
        assert v["VULURL"] == vuln_url + "/admin/config.php"
        assert (v["Level"], v["VULName"], v["CVE"], v["Status"], v["InstanceType"]) == \
            ("high", "Exposed configuration file", "CVE-2099-0001", 0, "PublicIp")
        assert v["Port"] == str(vulnerable.server_address[1]) and "GET /admin/config.php" in v["Payload"]
        assert not [d for d in per_asset["Data"] if d["VULURL"].startswith(safe_url)], "the twin is safe"
        assert {"Value": "high", "Text": "high"} in per_asset["LevelLists"]
        per_vul = rows(ca, "DescribeRiskCenterVULViewVULRiskList",
                       [{"Name": "Id", "Values": ["t-path-word"]}])
        assert per_vul["TotalCount"] == 1
        g = per_vul["Data"][0]
        assert (g["Level"], g["NoHandleCount"], g["AffectAssetCount"], g["VULType"]) == ("high", 1, 1, "exposure")
        assert rows(cb, "DescribeRiskCenterAssetViewVULRiskList")["TotalCount"] == 0, "tenants are isolated"
        # The newer views: the same risks in their own models.
        newer = rows(ca, "DescribeAssetViewVulRiskList", [{"Name": "VulRiskId", "Values": ["t-path-word"]}])
        n = [d for d in newer["Data"] if d["RiskId"] == v["Id"]]
        assert len(n) == 1, newer["Data"]
        n = n[0]
        assert (n["VULURL"], n["POCId"], n["Level"], n["Status"], n["IsPOC"], n["IsOneClick"]) == \
            (v["VULURL"], "t-path-word", "high", 0, 1, 1)
        assert n["Port"] == v["Port"] and "exposure" in n["VulTag"] and n["EngineSource"] == "vigil-poc"
        assert {"Value": "0", "Text": "not handled"} in newer["StatusLists"] and isinstance(newer["Tags"], list)
        nv = rows(ca, "DescribeVulViewVulRiskList", [{"Name": "RiskId", "Values": ["t-path-word"]}])
        assert nv["TotalCount"] == 1
        g = nv["Data"][0]
        assert (g["RiskId"], g["VulRiskId"], g["Level"], g["NoHandleCount"], g["AffectAssetCount"]) == \
            ("t-path-word", "t-path-word", "high", 1, 1)
        assert rows(cb, "DescribeVulViewVulRiskList")["TotalCount"] == 0, "tenants are isolated"

        # Checked again: the template runs on the URL it matched, and finds it again.
        before = v["RecentTime"]
        time.sleep(1.1)
        call(ca, "CreateVulReScan", {"VulId": [int(v["Id"])]})
        deadline = time.monotonic() + SCAN_TIMEOUT_S
        while True:
            r = rows(ca, "DescribeAssetViewVulRiskList", [{"Name": "RiskId", "Values": [v["Id"]]}])["Data"][0]
            if r["RecentTime"] > before:
                break
            assert time.monotonic() < deadline, "the rescan did not see the vulnerability again"
            time.sleep(0.5)
        assert r["Status"] == 0 and r["RiskId"] == v["Id"]
        code, _ = error_code(cb, "CreateVulReScan", {"VulId": [int(v["Id"])]})
        assert code == "ResourceNotFound", "another tenant's vulnerability is unknown"
        code, _ = error_code(ca, "CreateVulReScan", {"VulId": [int(v["Id"])], "KbNo": ["KB1"]})
        assert code == "UnsupportedOperation"

        detail = call(ca, "DescribeVULRiskDetail", {"RiskId": "t-path-word"})
        assert detail["VulTrend"][0]["AffectAssetCount"] == 1 and detail["ServiceSupport"] == []
        assert set(detail["VulData"]) >= {"Fix", "References", "Describe"}
        code, _ = error_code(cb, "DescribeVULRiskDetail", {"RiskId": v["Id"]})
        assert code == "ResourceNotFound", "another tenant's row is unknown"

        # Handled: it counts as not handled nowhere.
        call(ca, "ModifyRiskCenterRiskStatus", {"RiskStatusKeys": [{"Id": v["Id"]}], "Status": 1, "Type": 1})
        again = rows(ca, "DescribeRiskCenterAssetViewVULRiskList", [{"Name": "Id", "Values": [v["Id"]]}])
        assert again["Data"][0]["Status"] == 1
        g = rows(ca, "DescribeRiskCenterVULViewVULRiskList", [{"Name": "Id", "Values": ["t-path-word"]}])["Data"][0]
        assert g["NoHandleCount"] == 0
        code, _ = error_code(ca, "ModifyRiskCenterRiskStatus",
                             {"RiskStatusKeys": [{"Id": v["Id"]}], "Status": 1, "Type": 0})
        assert code == "ResourceNotFound", "a vulnerability is not a port risk"
    finally:
        vulnerable.shutdown()
        safe.shutdown()
