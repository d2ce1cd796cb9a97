"""Tencent MS (2018-04-08) app scanning driven through the official SDK's `CommonClient` (the
scan actions left the typed SDK in 3.0.886; `CommonClient` calls them unchanged), with every
response read back through the models of `tencentcloud-sdk-python-ms` 3.0.885, the last
release that has them (warnings on unknown fields are failures): real APKs built here are
served from 127.0.0.2 (the server's operator scope), scanned, listed, deleted; the callback
arrives once per app; a wrong MD5, a cloud-metadata AppUrl and an address outside the scope
fail only their own app; 21 apps, bad parameters and another tenant are refused.

Every byte goes to 127.0.0.0/8."""

import http.server
import json
import os
import tempfile
import threading
import time
import types
import zipfile

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)

import apks
from conftest import _server, free_loopback_port, make_profile

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

VERSION = "2018-04-08"
HOST = "127.0.0.2"
SCAN_TIMEOUT_S = 180.0
ALL_TYPES = ["VULSCAN", "VIRUSSCAN", "ADSCAN", "PLUGINSCAN", "PERMISSION", "SENSITIVE"]


def ms_models():
    """models.py of tencentcloud-sdk-python-ms 3.0.885 (the wheel scripts/test downloads,
    named by VIGIL_MS_SDK_WHEEL), as a module of its own beside the installed SDK."""
    whl = os.environ.get("VIGIL_MS_SDK_WHEEL")
    if not whl or not os.path.isfile(whl):
        pytest.fail("VIGIL_MS_SDK_WHEEL must name tencentcloud_sdk_python_ms-3.0.885-*.whl "
                    "(scripts/test downloads it)", pytrace=False)
    with zipfile.ZipFile(whl) as z:
        src = z.read("tencentcloud/ms/v20180408/models.py").decode()
    mod = types.ModuleType("ms_models_3_0_885")
    exec(compile(src, "ms/v20180408/models.py", "exec"), mod.__dict__)
    return mod


MODELS = None


def parse(action, resp):
    """`resp` (a CommonClient answer) read by the 3.0.885 response model of `action`."""
    global MODELS
    if MODELS is None:
        MODELS = ms_models()
    model = getattr(MODELS, action + "Response")()
    model._deserialize(resp["Response"])
    return model


class Files(http.server.ThreadingHTTPServer):
    """Serves the APKs of a directory and records the callbacks POSTed to /callback."""

    def __init__(self, root):
        self.root = root
        self.callbacks = []
        self.lock = threading.Lock()
        server = self

        class H(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *a, **kw):
                super().__init__(*a, directory=root, **kw)

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.callbacks.append(json.loads(body))
                out = b'{"Result":"ok","Reason":""}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        super().__init__((HOST, free_loopback_port(HOST)), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://%s:%d/%s" % (HOST, self.server_address[1], path)


@pytest.fixture(scope="module")
def ms(request, vigil_bin):
    server, accounts = _server(request, vigil_bin, "ms", ["ms-a", "ms-b"],
                               extra_args=["--scope-allow", "127.0.0.2/32"], workers=2)
    server.accounts = accounts
    return server


@pytest.fixture(scope="module")
def files(request):
    root = tempfile.mkdtemp(prefix="vigil-compat-ms-files-")
    f = Files(root)
    request.addfinalizer(f.shutdown)
    vuln = apks.build(
        root, "vuln",
        apks.manifest(
            "com.example.vulnapp", "Vuln App",
            app_attrs='android:debuggable="true" android:allowBackup="true"',
            body='<receiver android:name=".Boot"><intent-filter>'
                 '<action android:name="android.intent.action.BOOT_COMPLETED"/>'
                 '</intent-filter></receiver>',
            permissions=["android.permission.INTERNET",
                         "android.permission.READ_PHONE_STATE"]),
        classes=["com/example/vulnapp/Boot", "com/qq/e/ads/banner2/UnifiedBannerView"])
    safe = apks.build(
        root, "safe",
        apks.manifest("com.example.safeapp", "Safe App",
                      app_attrs='android:allowBackup="false"'),
        classes=["com/example/safeapp/Main"])
    packed = apks.build(
        root, "packed",
        apks.manifest("com.example.packed", "Packed App",
                      app_attrs='android:name="com.stub.StubApp" android:allowBackup="false"'),
        classes=["com/stub/StubApp"],
        files={"assets/libjiagu.so": b"\x7fELF" + b"\0" * 60})
    leaky = apks.build(
        root, "leaky",
        apks.manifest("com.example.leaky", "Leaky App", app_attrs='android:allowBackup="false"'),
        smali={"com/example/leaky/Config": apks.string_class(
            "com/example/leaky/Config", "https://collect.vigil-test.net/v1/upload")})
    f.apps = {"vuln": vuln, "safe": safe, "packed": packed, "leaky": leaky}
    return f


def client(server, name):
    acct = server.accounts[name]
    cred = credential.Credential(acct.secret_id, acct.secret_key)
    return CommonClient("ms", VERSION, cred, "ap-guangzhou", profile=make_profile(server))


def call(c, action, params):
    return c.call_json(action, params)


def error_code(c, action, params):
    with pytest.raises(TencentCloudSDKException) as e:
        call(c, action, params)
    return e.value.get_code()


def app_info(files, name, **extra):
    path, md5, size = files.apps[name]
    info = {"AppUrl": files.url(path.name), "AppMd5": md5, "AppSize": str(size),
            "FileName": path.name}
    info.update(extra)
    return info


def wait_results(c, item_id):
    deadline = time.monotonic() + SCAN_TIMEOUT_S
    while True:
        r = call(c, "DescribeScanResults", {"ItemId": item_id})
        if all(s["TaskStatus"] != 2 for s in r["Response"]["ScanSet"]):
            return r
        assert time.monotonic() < deadline, "apps still scanning: %r" % r
        time.sleep(0.5)


def by_md5(resp, md5):
    return next(s for s in resp["Response"]["ScanSet"] if s["AppDetailInfo"]["AppMd5"] == md5)


def test_apps_are_scanned_listed_called_back_and_deleted(ms, files):
    c = client(ms, "ms-a")
    callback = files.url("callback")
    created = call(c, "CreateScanInstances", {
        "AppInfos": [app_info(files, "vuln", AppIconUrl="http://icons.example/v.png"),
                     app_info(files, "safe"), app_info(files, "safe")],
        "ScanInfo": {"CallbackUrl": callback, "ScanTypes": ALL_TYPES},
    })
    m = parse("CreateScanInstances", created)
    vmd5, smd5 = files.apps["vuln"][1], files.apps["safe"][1]
    assert m.Progress == 2 and isinstance(m.ItemId, str) and m.ItemId
    assert m.AppMd5s == [vmd5, smd5], "the duplicate app is scanned once"
    assert isinstance(m.LimitCount, int) and m.LimitTime > time.time()

    res = wait_results(c, m.ItemId)
    parsed = parse("DescribeScanResults", res)
    assert parsed.TotalCount == 2
    v = by_md5(res, vmd5)
    assert v["TaskStatus"] == 1 and v["StatusCode"] == 0, v
    d = v["AppDetailInfo"]
    assert (d["AppName"], d["AppPkgName"], d["AppVersion"]) == (
        "Vuln App", "com.example.vulnapp", "2.0.1"), "read from the package itself"
    assert d["AppSize"] == files.apps["vuln"][2]
    assert d["AppIconUrl"] == "http://icons.example/v.png" and d["FileName"] == "vuln.apk"
    vul_ids = {x["VulId"] for x in v["VulInfo"]["VulList"]}
    assert {"1", "2"} <= vul_ids, "debuggable and allowBackup: %r" % vul_ids
    debuggable = next(x for x in v["VulInfo"]["VulList"] if x["VulId"] == "1")
    assert debuggable["RiskLevel"] in (2, 3) and debuggable["VulFilepath"] == "AndroidManifest.xml"
    assert debuggable["VulSrcType"] == 0 and debuggable["VulSolution"]
    assert 0 <= v["VulInfo"]["VulFileScore"] < 100
    assert [p["PluginType"] for p in v["AdInfo"]["Banners"]] == [3]
    assert "GDT" in v["AdInfo"]["Banners"][0]["PluginName"]
    perms = [p["Permission"] for p in v["PermissionInfo"]["PermissionList"]]
    assert perms == ["android.permission.INTERNET", "android.permission.READ_PHONE_STATE"]
    assert v["VirusInfo"]["SafeType"] == 1, "not a virus, not packed"

    s = by_md5(res, smd5)
    assert s["TaskStatus"] == 1
    assert not {"1", "2"} & {x["VulId"] for x in s["VulInfo"]["VulList"]}, "the safe twin"
    assert all(not v for v in s["AdInfo"].values())
    assert s["PermissionInfo"]["PermissionList"] == []

    # Only one app asked for.
    one = call(c, "DescribeScanResults", {"ItemId": m.ItemId, "AppMd5s": [smd5.upper()]})
    assert [x["AppDetailInfo"]["AppMd5"] for x in one["Response"]["ScanSet"]] == [smd5]

    # One callback per app, answered {"Result":"ok"}.
    deadline = time.monotonic() + 60
    while len(files.callbacks) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    got = sorted((b["Response"]["AppMd5"], b["Response"]["TaskStatus"], b["Response"]["ItemId"])
                 for b in files.callbacks)
    assert got == sorted([(vmd5, 1, m.ItemId), (smd5, 1, m.ItemId)]), files.callbacks

    # The list, its filters, paging (numbers as strings, as Tencent's examples send them).
    listed = call(c, "DescribeScanInstances", {"Limit": "20", "Offset": "0"})
    lm = parse("DescribeScanInstances", listed)
    assert lm.TotalCount >= 2
    row = next(r for r in listed["Response"]["ScanSet"] if r["AppMd5"] == vmd5)
    assert row["ItemId"] == m.ItemId and row["AppPkgName"] == "com.example.vulnapp"
    assert row["TaskStatus"] == 1 and row["SafeType"] == 1 and row["VulCount"] >= 2
    only = call(c, "DescribeScanInstances", {
        "Filters": [{"Name": "AppPkgName", "Value": "vulnapp"}]})["Response"]
    assert [r["AppMd5"] for r in only["ScanSet"]] == [vmd5]
    by_item = call(c, "DescribeScanInstances", {"ItemIds": [m.ItemId], "Limit": 1,
                                                "OrderField": "TaskTime",
                                                "OrderDirection": "asc"})["Response"]
    assert by_item["TotalCount"] == 2 and len(by_item["ScanSet"]) == 1

    # Delete one app: it is gone from the list and the scan.
    parse("DeleteScanInstances", call(c, "DeleteScanInstances", {"AppSids": [row["AppSid"]]}))
    after = call(c, "DescribeScanResults", {"ItemId": m.ItemId})["Response"]
    assert [x["AppDetailInfo"]["AppMd5"] for x in after["ScanSet"]] == [smd5]
    assert error_code(c, "DeleteScanInstances", {"AppSids": [row["AppSid"]]}) == "ResourceNotFound"


def signed_put(server, account, body):
    """PUT /upload/ms/apps signed with TC3-HMAC-SHA256 for service `ms` over the body."""
    import test_tcss_upload
    return test_tcss_upload.signed_put(server, account, body, service="ms",
                                       path="/upload/ms/apps")


def test_packers_sensitive_strings_and_uploads(ms, files):
    c = client(ms, "ms-a")
    packed_path, pmd5, _ = files.apps["packed"]
    leaky_path, lmd5, lsize = files.apps["leaky"]
    # The leaky app is uploaded rather than downloaded.
    up = signed_put(ms, ms.accounts["ms-a"], leaky_path.read_bytes())
    assert "Error" not in up, up
    assert (up["AppMd5"], up["AppSize"]) == (lmd5, lsize), up
    assert up["AppUrl"].startswith("upload:")
    created = call(c, "CreateScanInstances", {
        "AppInfos": [app_info(files, "packed"), app_info(files, "safe"),
                     {"AppUrl": up["AppUrl"], "AppMd5": lmd5}],
        "ScanInfo": {"CallbackUrl": "", "ScanTypes": ["VIRUSSCAN", "SENSITIVE"]},
    })["Response"]
    res = wait_results(c, created["ItemId"])
    parse("DescribeScanResults", res)
    p = by_md5(res, pmd5)
    assert p["TaskStatus"] == 1 and p["VirusInfo"]["SafeType"] == 2, p
    assert "Jiagu" in p["VirusInfo"]["VirusDesc"] or "360" in p["VirusInfo"]["VirusDesc"], p
    s = by_md5(res, files.apps["safe"][1])
    assert s["VirusInfo"]["SafeType"] == 1, "the unpacked twin"
    assert s["SensitiveInfo"]["SensitiveList"] == []
    leak = by_md5(res, lmd5)
    assert leak["TaskStatus"] == 1, leak
    words = [w for x in leak["SensitiveInfo"]["SensitiveList"] for w in x["WordList"]]
    assert any("collect.vigil-test.net" in w for w in words), leak["SensitiveInfo"]
    entry = leak["SensitiveInfo"]["SensitiveList"][0]
    assert entry["FilePath"] == "classes.dex" and len(entry["FileSha"]) == 40
    # Another account cannot name this account's upload.
    b = client(ms, "ms-b")
    assert error_code(b, "CreateScanInstances", {
        "AppInfos": [{"AppUrl": up["AppUrl"], "AppMd5": lmd5}],
        "ScanInfo": {"CallbackUrl": "", "ScanTypes": ["VULSCAN"]},
    }) == "InvalidParameterValue"
    # Not a package: refused at upload.
    bad = signed_put(ms, ms.accounts["ms-a"], b"not a zip file at all")
    assert bad["Error"]["Code"] == "InvalidParameterValue", bad


def test_a_bad_app_fails_alone_with_its_reason(ms, files):
    c = client(ms, "ms-a")
    wrong = app_info(files, "safe", AppMd5="0" * 32)
    metadata = {"AppUrl": "http://169.254.169.254/latest/meta-data/app.apk", "AppMd5": "1" * 32}
    outside = {"AppUrl": "http://127.0.0.1:9/app.apk", "AppMd5": "2" * 32}
    created = call(c, "CreateScanInstances", {
        "AppInfos": [wrong, metadata, outside, app_info(files, "vuln")],
        "ScanInfo": {"CallbackUrl": "", "ScanTypes": ["VULSCAN"]},
    })["Response"]
    res = wait_results(c, created["ItemId"])
    parse("DescribeScanResults", res)
    w = by_md5(res, "0" * 32)
    assert (w["TaskStatus"], w["StatusCode"]) == (3, 1001), w
    assert "not scanned" in w["StatusDesc"]
    for md5 in ("1" * 32, "2" * 32):
        x = by_md5(res, md5)
        assert (x["TaskStatus"], x["StatusCode"]) == (3, 1000), x
        assert "scope" in x["StatusDesc"].lower() or "not allowed" in x["StatusDesc"].lower(), x
    ok = by_md5(res, files.apps["vuln"][1])
    assert ok["TaskStatus"] == 1 and ok["VulInfo"]["VulList"], "the others go on"
    assert ok["PermissionInfo"]["PermissionList"] == [], "permissions not asked"
    assert ok["VirusInfo"]["SafeType"] == 0, "virus scan not asked"


def test_parameters_are_checked_with_the_cloud_codes(ms, files):
    c = client(ms, "ms-a")
    scan = {"CallbackUrl": "", "ScanTypes": ["VULSCAN"]}
    many = [app_info(files, "safe", AppMd5="%032x" % i) for i in range(21)]
    assert error_code(c, "CreateScanInstances",
                      {"AppInfos": many, "ScanInfo": scan}) == "InvalidParameterValue"
    assert error_code(c, "CreateScanInstances",
                      {"AppInfos": [], "ScanInfo": scan}) == "MissingParameter.MissingAppInfo"
    assert error_code(c, "CreateScanInstances", {
        "AppInfos": [app_info(files, "safe", AppMd5="nope")], "ScanInfo": scan,
    }) == "InvalidParameterValue"
    assert error_code(c, "CreateScanInstances", {
        "AppInfos": [app_info(files, "safe", AppUrl="ftp://x/a.apk")], "ScanInfo": scan,
    }) == "InvalidParameterValue"
    assert error_code(c, "CreateScanInstances", {
        "AppInfos": [app_info(files, "safe")],
        "ScanInfo": {"CallbackUrl": "", "ScanTypes": ["EVERYTHING"]},
    }) == "InvalidParameterValue"
    assert error_code(c, "DescribeScanResults", {}) == "MissingParameter.MissingItemId"
    assert error_code(c, "DescribeScanResults",
                      {"ItemId": "987654"}) == "ResourceNotFound.ItemIdNotFound"
    assert error_code(c, "DescribeScanInstances",
                      {"Limit": "101"}) == "InvalidParameterValue.InvalidLimit"
    assert error_code(c, "DescribeScanInstances",
                      {"Offset": -1}) == "InvalidParameterValue.InvalidOffset"
    assert error_code(c, "DescribeScanInstances", {
        "ItemIds": ["1"], "Filters": [{"Name": "AppName", "Value": "x"}],
    }) == "InvalidParameterValue.InvalidCoexistItemIdsFilters"
    assert error_code(c, "DescribeScanInstances", {
        "Filters": [{"Name": "Color", "Value": "x"}]}) == "InvalidParameterValue.InvalidFilter"
    assert error_code(c, "DescribeScanInstances",
                      {"OrderField": "AppName"}) == "InvalidParameterValue.InvalidOrderField"
    assert error_code(c, "DescribeScanInstances",
                      {"OrderDirection": "up"}) == "InvalidParameterValue.InvalidOrderDirection"
    assert error_code(c, "DescribeScanInstances",
                      {"ItemIds": ["x"]}) == "InvalidParameterValue.InvalidItemIds"
    assert error_code(c, "CreateShieldInstance", {}) == "UnsupportedOperation"


def test_another_tenant_sees_nothing(ms, files):
    a, b = client(ms, "ms-a"), client(ms, "ms-b")
    created = call(a, "CreateScanInstances", {
        "AppInfos": [app_info(files, "safe")],
        "ScanInfo": {"CallbackUrl": "", "ScanTypes": ["PERMISSION"]},
    })["Response"]
    wait_results(a, created["ItemId"])
    assert error_code(b, "DescribeScanResults",
                      {"ItemId": created["ItemId"]}) == "ResourceNotFound.ItemIdNotFound"
    assert call(b, "DescribeScanInstances", {})["Response"]["TotalCount"] == 0
    sid = call(a, "DescribeScanInstances",
               {"ItemIds": [created["ItemId"]]})["Response"]["ScanSet"][0]["AppSid"]
    assert error_code(b, "DeleteScanInstances", {"AppSids": [sid]}) == "ResourceNotFound"
    assert call(a, "DescribeScanResults", {"ItemId": created["ItemId"]})["Response"]["TotalCount"] == 1


def test_apk_detection_scans_once_then_answers(ms, files):
    c = client(ms, "ms-b")
    path, md5, _ = files.apps["vuln"]
    params = {"ApkUrl": files.url(path.name), "ApkMd5": md5}
    first = call(c, "DescribeApkDetectionResult", params)
    parse("DescribeApkDetectionResult", first)
    assert first["Response"]["Result"] == "ok" and first["Response"]["ResultList"] == []
    deadline = time.monotonic() + SCAN_TIMEOUT_S
    while True:
        r = call(c, "DescribeApkDetectionResult", params)
        if r["Response"]["ResultList"]:
            break
        assert time.monotonic() < deadline, r
        time.sleep(0.5)
    parse("DescribeApkDetectionResult", r)
    item = r["Response"]["ResultList"][0]
    assert all(isinstance(v, str) for k, v in item.items()
               if k not in ("PluginList", "OptPluginList")), item
    assert (item["Md5"], item["Errno"], item["SafeType"]) == (md5, "0", "1")
    assert item["Banner"] == "1" and item["Spot"] == "0"
    assert item["SoftName"] == "Vuln App"
    assert [p["PluginType"] for p in item["PluginList"]] == [3]
    listed = call(c, "DescribeScanInstances", {})["Response"]
    assert listed["TotalCount"] == 1, "asking again did not scan again"
