"""TCSS (2020-11-01) registry and inventory actions through the official SDK, against a real
registry: Debian's `docker-registry` on 127.0.0.2 with images pushed here (namespaces `team`
and `ops`, and one repository without a namespace), synced into Vigil by
AddAssetImageRegistryRegistryDetail.

Two servers: `qsrv` has no workers, so scan tasks stay queued and their status and stopping
are deterministic; `srv` has one worker, for the periodic registry scan whose schedule
really fires and whose run the preflight derives.

Every byte goes to 127.0.0.0/8."""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.tcss.v20201101 import models, tcss_client

from conftest import _server, free_loopback_port, make_profile, stop_process
from images import docker_archive, metadata, tar_of

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

REGISTRY_BIN = "/usr/bin/docker-registry"
HOST = "127.0.0.2"
SECRET = "Pa55-never-returned-0xC0FFEE"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# repository, tag, build time: `team/web:2.0` is the newest of its repository.
IMAGES = [
    ("team/web", "1.0", "2026-01-01T00:00:00Z"),
    ("team/web", "2.0", "2026-02-01T00:00:00Z"),
    ("team/api", "1.0", "2026-01-05T00:00:00Z"),
    ("ops/tool", "1.0", "2026-01-07T00:00:00Z"),
    ("alpine", "3", "2026-01-09T00:00:00Z"),
]


# --------------------------------------------------------------------------
# A real registry on 127.0.0.2

def _request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with _DIRECT.open(req, timeout=10) as resp:
        return resp.status, dict(resp.headers), resp.read()


def _push_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers, _ = _request("POST", "%s/v2/%s/blobs/uploads/" % (base, repo), b"")
    location = headers["Location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    status, _, _ = _request("PUT", "%s%sdigest=%s" % (location, sep, digest), data,
                            {"Content-Type": "application/octet-stream"})
    assert status == 201, status
    return digest


def push_image(base, repo, tag, created):
    layer = tar_of({"etc/os-release": b"ID=scratch\n", "app/%s" % tag: repo.encode()})
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": created,
        "config": {"User": "app"}, "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "COPY app /app # %s:%s" % (repo, tag)}],
    }).encode()
    config_digest = _push_blob(base, repo, config)
    layer_digest = _push_blob(base, repo, layer)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}],
    }).encode()
    status, _, _ = _request("PUT", "%s/v2/%s/manifests/%s" % (base, repo, tag), manifest,
                            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    assert status == 201, status
    return config_digest


@pytest.fixture(scope="module")
def registry():
    if not os.path.exists(REGISTRY_BIN):
        if os.environ.get("CI"):
            pytest.fail("%s must be installed in CI (scripts/test installs it)" % REGISTRY_BIN)
        pytest.skip("%s is not installed (Debian package docker-registry)" % REGISTRY_BIN)
    root = Path(tempfile.mkdtemp(prefix="vigil-compat-registry-"))
    port = free_loopback_port(HOST)
    (root / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: %s\n"
        "http:\n  addr: %s:%d\n  secret: vigil-compat-registry\n" % (root / "data", HOST, port))
    log = open(root / "registry.log", "wb")
    proc = subprocess.Popen([REGISTRY_BIN, "serve", str(root / "config.yml")],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    base = "http://%s:%d" % (HOST, port)
    deadline = time.monotonic() + 20
    while True:
        try:
            if _request("GET", base + "/v2/")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            stop_process(proc)
            pytest.fail("docker-registry did not start: %s" % (root / "registry.log").read_text())
        time.sleep(0.05)
    ids = {"%s:%s" % (repo, tag): push_image(base, repo, tag, created)
           for repo, tag, created in IMAGES}
    yield {"url": base, "ids": ids}
    stop_process(proc)
    log.close()
    shutil.rmtree(root, ignore_errors=True)


def client(server, name):
    acct = server.accounts[name]
    cred = credential.Credential(acct.secret_id, acct.secret_key)
    return tcss_client.TcssClient(cred, "ap-guangzhou", make_profile(server))


def call(c, action, params=None):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params or {}))
    resp = getattr(c, action)(req)
    assert resp.RequestId
    return resp


def body(c, action, params=None):
    """The raw response object (every field the server sent), through the typed client."""
    return json.loads(call(c, action, params).to_json_string())


def error_code(c, action, params=None):
    with pytest.raises(TencentCloudSDKException) as exc:
        call(c, action, params)
    assert exc.value.get_request_id()
    return exc.value.get_code()


def fields(model):
    return {k[1:] for k in vars(getattr(models, model)())} - {"RequestId"}


def assert_shape(obj, model):
    have = set(obj) - {"RequestId"}
    want = fields(model)
    assert have == want, "%s: extra %s, missing %s" % (model, have - want, want - have)


def add_registry(c, name, url):
    r = call(c, "AddAssetImageRegistryRegistryDetail", {
        "Name": name, "Username": "admin", "Password": SECRET, "Url": url,
        "RegistryType": "harbor", "NetType": "private", "RegistryVersion": "V2",
        "RegistryRegion": "default", "Insecure": 0, "SpeedLimit": 7, "NeedScan": False,
        "ConnDetectConfig": [{"Quuid": "backend", "Uuid": "backend"}], "SyncMode": 0})
    assert r.HealthCheckErr == "" and r.NameRepeatErr == "", r.HealthCheckErr
    return r.RegistryId


def registry_images(c, **params):
    params.setdefault("Limit", 100)
    r = call(c, "DescribeAssetImageRegistryList", params)
    return {"%s/%s:%s" % (i.Namespace, i.ImageName, i.ImageTag) if i.Namespace
            else "%s:%s" % (i.ImageName, i.ImageTag): i for i in r.List}


@pytest.fixture(scope="module")
def qsrv(request, vigil_bin, registry, tmp_path_factory):
    """No workers: scans stay queued. Account A has the registry synced and three local
    images imported; account B has nothing."""
    server, accounts = _server(request, vigil_bin, "tcss-queue", ["q-a", "q-b"],
                               extra_args=["--scope-allow", HOST + "/32"], workers=0)
    server.accounts = accounts
    server.registry_id = add_registry(client(server, "q-a"), "lab", registry["url"])
    d = tmp_path_factory.mktemp("local")
    server.local = {}
    for n, tag in enumerate(["shop/web:1.0", "shop/db:2.1", "tools/cli:0.9"]):
        path = d / ("img%d.tar" % n)
        server.local[tag] = docker_archive(path, metadata("pkg%d" % n, "1.%d" % n), tag)
        subprocess.run([vigil_bin, "image", "import", "docker-archive:%s" % path, "--app-id",
                        str(accounts["q-a"].app_id), "--data-dir", str(server.data_dir)],
                       check=True, capture_output=True, timeout=120)
    return server


@pytest.fixture(scope="module")
def srv(request, vigil_bin, registry):
    """One worker: the periodic registry scan fires and runs."""
    server, accounts = _server(request, vigil_bin, "tcss-timing", ["t-a", "t-b"],
                               extra_args=["--scope-allow", HOST + "/32"])
    server.accounts = accounts
    server.registry_id = add_registry(client(server, "t-a"), "lab", registry["url"])
    return server


# --------------------------------------------------------------------------
# Registries: settings, names, namespaces, sync status

def test_registry_settings_never_return_the_password(qsrv, registry):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    rid = qsrv.registry_id
    raw = body(a, "DescribeAssetImageRegistryRegistryDetail", {"RegistryId": rid})
    assert_shape(raw, "DescribeAssetImageRegistryRegistryDetailResponse")
    for d in raw["ConnDetectDetail"]:
        assert_shape(d, "RegistryConnDetectResult")
    assert SECRET not in json.dumps(raw)
    assert raw["Password"] == ""
    assert (raw["Name"], raw["Username"], raw["Url"]) == ("lab", "admin", registry["url"])
    assert (raw["RegistryType"], raw["NetType"], raw["RegistryVersion"]) == ("harbor", "private", "V2")
    assert (raw["SpeedLimit"], raw["Insecure"], raw["SyncMode"], raw["NeedScan"]) == (7, 0, 0, False)
    assert raw["ConnDetectDetail"][0]["ConnDetectStatus"] == "status_connected"
    assert (raw["WebhookUrl"], raw["WebhookToken"]) == ("", "")
    assert error_code(b, "DescribeAssetImageRegistryRegistryDetail", {"RegistryId": rid}) == "ResourceNotFound"
    assert error_code(a, "DescribeAssetImageRegistryRegistryDetail", {"RegistryId": rid + 99}) == "ResourceNotFound"
    assert error_code(a, "DescribeAssetImageRegistryRegistryDetail", {}) == "MissingParameter"


def test_check_repeat_registry_name(qsrv):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    assert call(a, "CheckRepeatAssetImageRegistry", {"Name": "lab"}).IsRepeat is True
    assert call(a, "CheckRepeatAssetImageRegistry", {"Name": " lab "}).IsRepeat is True
    assert call(a, "CheckRepeatAssetImageRegistry", {"Name": "lab-2"}).IsRepeat is False
    # Names are per account.
    assert call(b, "CheckRepeatAssetImageRegistry", {"Name": "lab"}).IsRepeat is False
    assert error_code(a, "CheckRepeatAssetImageRegistry", {}) == "MissingParameter"
    assert error_code(a, "CheckRepeatAssetImageRegistry", {"Name": "  "}) == "InvalidParameterValue"


def test_namespaces_of_the_synced_registry(qsrv):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    raw = body(a, "DescribeImageRegistryNamespaceList", {"Limit": 100})
    assert_shape(raw, "DescribeImageRegistryNamespaceListResponse")
    for d in raw["NamespaceDetail"]:
        assert_shape(d, "NamespaceInfo")
    # `alpine` has no namespace.
    assert raw["TotalCount"] == 2 and raw["NamespaceList"] == ["ops", "team"]
    detail = {d["Namespace"]: d for d in raw["NamespaceDetail"]}
    assert (detail["team"]["RegistryCnt"], detail["team"]["ImageCnt"]) == (2, 3)
    assert (detail["ops"]["RegistryCnt"], detail["ops"]["ImageCnt"]) == (1, 1)
    assert detail["team"]["RiskImageCnt"] == 0
    r = call(a, "DescribeImageRegistryNamespaceList",
             {"Filters": [{"Name": "Namespace", "Values": ["TE"]}]})
    assert r.NamespaceList == ["team"] and r.TotalCount == 1
    r = call(a, "DescribeImageRegistryNamespaceList",
             {"Filters": [{"Name": "Namespace", "Values": ["te"], "ExactMatch": True}]})
    assert r.TotalCount == 0
    r = call(a, "DescribeImageRegistryNamespaceList", {"Limit": 1, "Offset": 1})
    assert r.NamespaceList == ["team"] and r.TotalCount == 2
    f = {"Filters": [{"Name": "Repository", "Values": ["x"]}]}
    assert error_code(a, "DescribeImageRegistryNamespaceList", f) == "InvalidParameter"
    assert error_code(a, "DescribeImageRegistryNamespaceList", {"Limit": 101}) == "InvalidParameterValue"
    r = call(b, "DescribeImageRegistryNamespaceList")
    assert (r.TotalCount, r.NamespaceList, r.NamespaceDetail) == (0, [], [])


def test_sync_status(qsrv):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    raw = body(a, "DescribeAssetImageRegistryAssetStatus")
    assert_shape(raw, "DescribeAssetImageRegistryAssetStatusResponse")
    assert (raw["Status"], raw["Err"]) == ("success", "")
    row = call(a, "DescribeAssetImageRegistryRegistryList").List[0]
    assert raw["LatestSyncSuccessTime"] == row.LatestSyncTime != ""
    # Never synced: nothing to report.
    r = call(b, "DescribeAssetImageRegistryAssetStatus")
    assert (r.Status, r.Err, r.LatestSyncSuccessTime) == ("", "", "")


# --------------------------------------------------------------------------
# Registry images: detail, summary

def test_registry_image_detail_and_summary(qsrv, registry):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    rows = registry_images(a)
    assert set(rows) == {"team/web:1.0", "team/web:2.0", "team/api:1.0", "ops/tool:1.0", "alpine:3"}
    web = rows["team/web:1.0"]
    raw = body(a, "DescribeAssetImageRegistryDetail", {"Id": web.Id})
    assert_shape(raw, "DescribeAssetImageRegistryDetailResponse")
    listed = json.loads(web.to_json_string())
    for k in fields("DescribeAssetImageRegistryDetailResponse") - {"LayerInfo"}:
        assert raw[k] == listed[k], k
    assert raw["ImageId"] == registry["ids"]["team/web:1.0"]
    assert (raw["ImageName"], raw["ImageTag"], raw["Namespace"]) == ("web", "1.0", "team")
    assert raw["InstanceName"] == "lab" and raw["ScanStatus"] == "NOT_SCAN"
    assert "COPY app /app # team/web:1.0" in raw["LayerInfo"]
    by_image = call(a, "DescribeAssetImageRegistryDetail", {"ImageId": raw["ImageId"]})
    assert by_image.Id == web.Id
    code = error_code(a, "DescribeAssetImageRegistryDetail",
                      {"Id": web.Id, "ImageId": registry["ids"]["ops/tool:1.0"]})
    assert code == "ResourceNotFound"
    assert error_code(a, "DescribeAssetImageRegistryDetail", {}) == "InvalidParameter.MissingParameter"
    assert error_code(b, "DescribeAssetImageRegistryDetail", {"Id": web.Id}) == "ResourceNotFound"
    assert error_code(b, "DescribeAssetImageRegistryDetail", {"ImageId": raw["ImageId"]}) == "ResourceNotFound"

    summary = body(a, "DescribeAssetImageRegistrySummary")
    assert_shape(summary, "DescribeAssetImageRegistrySummaryResponse")
    assert summary["UnScannedImageCnt"] == 5
    f = {"Filters": [{"Name": "Namespace", "Values": ["team"]}]}
    assert call(a, "DescribeAssetImageRegistrySummary", f).UnScannedImageCnt == 3
    f = {"Filters": [{"Name": "OnlyShowLatest", "Values": ["1"]}]}
    assert call(a, "DescribeAssetImageRegistrySummary", f).UnScannedImageCnt == 4
    f = {"Filters": [{"Name": "Bogus", "Values": ["1"]}]}
    assert error_code(a, "DescribeAssetImageRegistrySummary", f) == "InvalidParameter"
    assert call(b, "DescribeAssetImageRegistrySummary").UnScannedImageCnt == 0


# --------------------------------------------------------------------------
# One-key scans, their status, and stopping

def test_one_key_scan_status_and_stop(qsrv):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    rows = registry_images(a)
    team = sorted(rows[k].Id for k in rows if k.startswith("team/"))
    task = call(a, "CreateAssetImageRegistryScanTaskOneKey",
                {"ScanScope": 0, "Namespace": ["team"], "ScanType": ["CVE", "RISK"],
                 "RegistryType": ["harbor"], "Timeout": 600})
    assert isinstance(task.TaskID, int) and task.TaskID > 0
    raw = body(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task.TaskID})
    assert_shape(raw, "DescribeAssetImageRegistryScanStatusOneKeyResponse")
    for i in raw["ImageStatus"]:
        assert_shape(i, "ImageProgress")
    assert (raw["ImageTotal"], raw["ImageScanCnt"], raw["Status"], raw["Schedule"]) == (3, 0, "READY", 0)
    assert (raw["SuccessCount"], raw["RiskCount"]) == (0, 0) and raw["ScanRemainTime"] > 0
    assert sorted((i["Namespace"], i["ImageName"], i["ImageTag"]) for i in raw["ImageStatus"]) == [
        ("team", "api", "1.0"), ("team", "web", "1.0"), ("team", "web", "2.0")]
    assert all(i["ScanStatus"] == "SCANNING" and i["InstanceName"] == "lab" and i["VirusProgress"] == 0
               for i in raw["ImageStatus"])
    # The latest one-key task is the default; the inventory shows the scans.
    assert call(a, "DescribeAssetImageRegistryScanStatusOneKey").ImageTotal == 3
    now = registry_images(a)
    assert sorted(now[k].Id for k in now if now[k].ScanStatus == "SCANNING") == team
    assert call(a, "DescribeAssetImageRegistrySummary").UnScannedImageCnt == 2
    # The same images cannot be scanned twice at once.
    code = error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"Id": [team[0]]})
    assert code == "FailedOperation.ErrAlreadyScanning"

    # The other account sees none of it.
    assert error_code(b, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task.TaskID}) == "ResourceNotFound"
    assert error_code(b, "DescribeAssetImageRegistryScanStatusOneKey") == "ResourceNotFound"
    assert error_code(b, "ModifyAssetImageRegistryScanStop", {"TaskID": task.TaskID}) == "ResourceNotFound"
    assert error_code(b, "ModifyAssetImageRegistryScanStopOneKey", {"TaskID": task.TaskID}) == "ResourceNotFound"
    assert error_code(b, "ModifyAssetImageRegistryScanStop", {"Id": [team[0]]}) == "ResourceNotFound"
    assert error_code(b, "CreateAssetImageRegistryScanTaskOneKey", {"Id": [team[0]]}) == "ResourceNotFound"

    # Stop one image of the task; its status narrows to it.
    call(a, "ModifyAssetImageRegistryScanStop", {"TaskID": task.TaskID, "Id": [team[0]]})
    one = call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task.TaskID, "Id": [team[0]]})
    assert (one.ImageTotal, one.ImageScanCnt, one.Status) == (1, 1, "END")
    assert one.ImageStatus[0].ScanStatus == "NOT_SCAN"  # a stopped scan leaves it as it was
    st = call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task.TaskID})
    assert (st.ImageTotal, st.ImageScanCnt, st.Status) == (3, 1, "SCANNING")
    # Stop the rest by the task.
    call(a, "ModifyAssetImageRegistryScanStopOneKey", {"TaskID": task.TaskID})
    st = call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task.TaskID})
    assert (st.ImageTotal, st.ImageScanCnt, st.Status, st.Schedule) == (3, 3, "END", 100)
    assert all(r.ScanStatus == "NOT_SCAN" for r in registry_images(a).values())

    # Recommended images: none has critical or high vulnerabilities.
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"ScanScope": 2}) == "ResourceNotFound"
    # Latest of each repository, then stop by Filters (ops only) and by All.
    task2 = call(a, "CreateAssetImageRegistryScanTaskOneKey", {"IsLatest": True})
    st = call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task2.TaskID})
    assert st.ImageTotal == 4
    assert "team/web:1.0" not in {"%s/%s:%s" % (i.Namespace, i.ImageName, i.ImageTag) for i in st.ImageStatus}
    call(a, "ModifyAssetImageRegistryScanStop",
         {"Filters": [{"Name": "Namespace", "Values": ["ops"], "ExactMatch": True}]})
    now = registry_images(a)
    assert now["ops/tool:1.0"].ScanStatus == "NOT_SCAN"
    assert now["team/web:2.0"].ScanStatus == "SCANNING" and now["alpine:3"].ScanStatus == "SCANNING"
    call(a, "ModifyAssetImageRegistryScanStop",
         {"All": True, "ExcludeImageList": [now["alpine:3"].Id]})
    now = registry_images(a)
    assert now["alpine:3"].ScanStatus == "SCANNING" and now["team/web:2.0"].ScanStatus == "NOT_SCAN"
    call(a, "ModifyAssetImageRegistryScanStopOneKey", {"Id": [now["alpine:3"].Id]})
    assert call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task2.TaskID}).Status == "END"

    # By ImageInfo, with Force "false": images never scanned are scanned.
    info = {"InstanceName": "lab", "Namespace": "team", "ImageName": "api", "ImageTag": "1.0", "Force": "false"}
    task3 = call(a, "CreateAssetImageRegistryScanTaskOneKey", {"Images": [info], "ScanType": ["VIRUS"]})
    st = call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task3.TaskID, "Images": [info]})
    assert st.ImageTotal == 1 and st.ImageStatus[0].ImageName == "api"
    call(a, "ModifyAssetImageRegistryScanStopOneKey", {"Images": [info]})
    assert call(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": task3.TaskID}).Status == "END"


def test_one_key_and_stop_parameters(qsrv):
    a = client(qsrv, "q-a")
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"ScanScope": 5}) == "InvalidParameterValue"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"ScanScope": 1}) == "InvalidParameter.MissingParameter"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"ScanType": ["POC"]}) == "InvalidParameterValue"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"RegistryType": ["gitlab"]}) == "InvalidParameterValue"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"Id": [987654]}) == "ResourceNotFound"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"Namespace": ["nope"]}) == "ResourceNotFound"
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"ContainerRunning": True}) == "ResourceNotFound"
    bad_force = {"InstanceName": "lab", "Namespace": "team", "ImageName": "api", "ImageTag": "1.0", "Force": "maybe"}
    assert error_code(a, "CreateAssetImageRegistryScanTaskOneKey", {"Images": [bad_force]}) == "InvalidParameterValue"
    assert error_code(a, "ModifyAssetImageRegistryScanStop", {}) == "InvalidParameter.MissingParameter"
    assert error_code(a, "ModifyAssetImageRegistryScanStopOneKey", {}) == "InvalidParameter.MissingParameter"
    assert error_code(a, "ModifyAssetImageRegistryScanStop", {"TaskID": 987654}) == "ResourceNotFound"
    f = {"Filters": [{"Name": "Nope", "Values": ["x"]}]}
    assert error_code(a, "ModifyAssetImageRegistryScanStop", f) == "InvalidParameter"
    f = {"Filters": [{"Name": "ScanStatus", "Values": ["asleep"]}]}
    assert error_code(a, "ModifyAssetImageRegistryScanStop", f) == "InvalidParameterValue"
    assert error_code(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": 987654}) == "ResourceNotFound"
    # A local scan task is not a registry scan task.
    local = call(a, "CreateAssetImageScanTask", {"Images": [qsrv.local["shop/web:1.0"]], "ScanVul": True})
    code = error_code(a, "DescribeAssetImageRegistryScanStatusOneKey", {"TaskID": int(local.TaskID)})
    assert code == "ResourceNotFound"
    call(a, "ModifyAssetImageScanStop", {"TaskID": local.TaskID})


# --------------------------------------------------------------------------
# Compact lists and hosts

def test_simple_lists_are_the_full_lists(qsrv):
    a, b = client(qsrv, "q-a"), client(qsrv, "q-b")
    for params in ({}, {"Limit": 2, "Offset": 1}, {"By": "ImageName", "Order": "ASC"},
                   {"By": "Size", "Order": "DESC", "Limit": 100}):
        full = call(a, "DescribeAssetImageList", params)
        simple = body(a, "DescribeAssetImageSimpleList", params)
        assert_shape(simple, "DescribeAssetImageSimpleListResponse")
        for row in simple["List"]:
            assert_shape(row, "AssetSimpleImageInfo")
        assert simple["TotalCount"] == full.TotalCount == 3
        assert [(r["ImageID"], r["ImageName"], r["Size"], r["ScanTime"]) for r in simple["List"]] == \
               [(r.ImageID, r.ImageName, r.Size, r.ScanTime) for r in full.List]
        other = body(a, "DescribeImageSimpleList", params)
        assert_shape(other, "DescribeImageSimpleListResponse")
        for row in other["ImageList"]:
            assert_shape(row, "ImageSimpleInfo")
            assert (row["ImageType"], row["ContainerCnt"], row["HostCnt"]) == ("local", 0, 0)
        assert other["ImageCnt"] == 3
        assert [(r["ImageID"], r["ImageName"]) for r in other["ImageList"]] == \
               [(r.ImageID, r.ImageName) for r in full.List]
    assert {r.ImageID for r in call(a, "DescribeAssetImageSimpleList", {"Limit": 100}).List} == set(qsrv.local.values())
    # Keywords: name or id.
    r = call(a, "DescribeAssetImageSimpleList", {"Filters": [{"Name": "Keywords", "Values": ["SHOP/"]}]})
    assert sorted(i.ImageName for i in r.List) == ["shop/db:2.1", "shop/web:1.0"] and r.TotalCount == 2
    image_id = qsrv.local["tools/cli:0.9"]
    r = call(a, "DescribeAssetImageSimpleList", {"Filters": [{"Name": "Keywords", "Values": [image_id[7:20]]}]})
    assert [i.ImageID for i in r.List] == [image_id]
    r = call(a, "DescribeAssetImageSimpleList", {"Filters": [{"Name": "ScanStatus", "Values": ["scanned"]}]})
    assert r.TotalCount == 0
    r = call(a, "DescribeImageSimpleList", {"Filters": [{"Name": "IsAuthorized", "Values": ["0"]}]})
    assert (r.ImageCnt, r.ImageList) == (0, [])
    r = call(a, "DescribeImageSimpleList", {"Filters": [{"Name": "IsAuthorized", "Values": ["1"]}], "By": "ContainerCnt"})
    assert r.ImageCnt == 3
    f = {"Filters": [{"Name": "IsAuthorized", "Values": ["2"]}]}
    assert error_code(a, "DescribeImageSimpleList", f) == "InvalidParameterValue"
    f = {"Filters": [{"Name": "Nope", "Values": ["1"]}]}
    assert error_code(a, "DescribeAssetImageSimpleList", f) == "InvalidParameter"
    assert error_code(a, "DescribeImageSimpleList", f) == "InvalidParameter"
    assert error_code(a, "DescribeAssetImageSimpleList", {"By": "Nope"}) == "InvalidParameter"
    assert error_code(a, "DescribeAssetImageSimpleList", {"Limit": 101}) == "InvalidParameterValue"
    assert call(b, "DescribeAssetImageSimpleList").TotalCount == 0
    assert call(b, "DescribeImageSimpleList").ImageCnt == 0


def test_image_host_list_is_empty(qsrv):
    a = client(qsrv, "q-a")
    raw = body(a, "DescribeAssetImageHostList")
    assert_shape(raw, "DescribeAssetImageHostListResponse")
    assert (raw["List"], raw["TotalCount"]) == ([], 0)
    r = call(a, "DescribeAssetImageHostList",
             {"Filters": [{"Name": "ImageID", "Values": [qsrv.local["shop/web:1.0"]]}]})
    assert (r.List, r.TotalCount) == ([], 0)
    f = {"Filters": [{"Name": "ContainerID", "Values": ["x"]}]}
    assert error_code(a, "DescribeAssetImageHostList", f) == "InvalidParameter"


# --------------------------------------------------------------------------
# The periodic registry scan

def _soon(seconds):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).strftime("%H:%M:%S")


def _wait_for_run(c, previous, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = call(c, "DescribeImageRegistryTimingScanTask")
        if r.LastScanTime and r.LastScanTime != previous:
            return r
        time.sleep(0.5)
    pytest.fail("the periodic registry scan did not run within %ss" % timeout)


def test_timing_scan_update_describe_and_runs(srv):
    a, b = client(srv, "t-a"), client(srv, "t-b")
    raw = body(a, "DescribeImageRegistryTimingScanTask")
    assert_shape(raw, "DescribeImageRegistryTimingScanTaskResponse")
    assert (raw["Enable"], raw["ScanPeriod"], raw["ScanTime"], raw["ScanType"]) == (False, 0, "", [])
    assert (raw["LastScanTime"], raw["ScanResult"], raw["Images"], raw["Id"]) == ("", "", [], [])

    rows = registry_images(a)
    excluded = rows["team/web:1.0"].Id
    setting = {"Enable": True, "ScanPeriod": 1, "ScanTime": _soon(4), "ScanType": ["CVE", "RISK"],
               "ScanScope": 0, "Namespace": ["team"], "RegistryType": ["harbor"], "Latest": False,
               "ExcludeImageAssetIds": [excluded], "ContainerRunning": False}
    call(a, "UpdateImageRegistryTimingScanTask", setting)
    r = body(a, "DescribeImageRegistryTimingScanTask")
    assert_shape(r, "DescribeImageRegistryTimingScanTaskResponse")
    for k in ("Enable", "ScanPeriod", "ScanTime", "ScanType", "ScanScope", "Namespace",
              "RegistryType", "Latest", "ExcludeImageAssetIds", "ContainerRunning"):
        assert r[k] == setting[k], k
    assert (r["All"], r["Images"], r["Id"], r["ScanEndTime"]) == (False, [], [], "")
    # The other account's setting is untouched.
    assert call(b, "DescribeImageRegistryTimingScanTask").Enable is False

    # The schedule fires a few seconds later; the run covers the team images but the
    # excluded one, with the chosen scanners.
    done = _wait_for_run(a, "")
    assert done.ScanResult == "Success"
    now = registry_images(a)
    scanned = {k for k, v in now.items() if v.ScanStatus != "NOT_SCAN"}
    assert scanned == {"team/web:2.0", "team/api:1.0"}, {k: v.ScanStatus for k, v in now.items()}
    assert now["team/api:1.0"].VirusStatus == "NOT_SCAN"

    # Changing the setting replaces the schedule: a run that selects nothing says so.
    changed = dict(setting, ScanTime=_soon(3), Namespace=["nobody"], ScanType=["VIRUS"])
    call(a, "UpdateImageRegistryTimingScanTask", changed)
    r = call(a, "DescribeImageRegistryTimingScanTask")
    assert (r.Namespace, r.ScanType) == (["nobody"], ["VIRUS"])
    again = _wait_for_run(a, done.LastScanTime)
    assert again.ScanResult == "ImageNeedIsEmpty"

    # By image: Id and ImageInfo round-trip; ScanScope 1 is implied.
    info = {"InstanceName": "lab", "Namespace": "ops", "ImageName": "tool", "ImageTag": "1.0", "Force": "true"}
    call(a, "UpdateImageRegistryTimingScanTask",
         {"Enable": False, "ScanPeriod": 7, "ScanTime": "03:00", "ScanEndTime": "05:00",
          "Id": [rows["alpine:3"].Id], "Images": [info]})
    r = call(a, "DescribeImageRegistryTimingScanTask")
    assert (r.Enable, r.ScanPeriod, r.ScanTime, r.ScanEndTime, r.ScanScope) == (False, 7, "03:00", "05:00", 1)
    assert r.Id == [rows["alpine:3"].Id] and r.ScanType == ["CVE", "VIRUS", "RISK"]
    sent_back = {k: v for k, v in json.loads(r.Images[0].to_json_string()).items() if v is not None}
    assert sent_back == info
    assert r.LastScanTime == again.LastScanTime  # turned off: no run since

    # Another account's images are not found; parameters are checked.
    assert error_code(b, "UpdateImageRegistryTimingScanTask",
                      dict(setting, Id=[rows["alpine:3"].Id])) == "ResourceNotFound"
    assert error_code(b, "UpdateImageRegistryTimingScanTask", dict(setting, Images=[info])) == "ResourceNotFound"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", {"Enable": True, "ScanPeriod": 1}) == "MissingParameter"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", dict(setting, ScanTime="9pm")) == "InvalidParameter.InvalidFormat"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", dict(setting, ScanPeriod=0)) == "InvalidParameterValue"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", dict(setting, ScanScope=3)) == "InvalidParameterValue"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", dict(setting, ScanType=["POC"])) == "InvalidParameterValue"
    assert error_code(a, "UpdateImageRegistryTimingScanTask", dict(setting, RegistryType=["gitlab"])) == "InvalidParameterValue"
    assert error_code(a, "UpdateImageRegistryTimingScanTask",
                      dict(setting, ScanScope=1, Namespace=[])) == "InvalidParameter.MissingParameter"
    assert error_code(a, "UpdateImageRegistryTimingScanTask",
                      dict(setting, ScanEndTime=setting["ScanTime"])) == "InvalidParameterValue"
    # A failed update changes nothing.
    assert call(a, "DescribeImageRegistryTimingScanTask").ScanPeriod == 7
