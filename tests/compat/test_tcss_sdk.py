"""TCSS (2020-11-01) image actions driven through the official SDK (the typed TcssClient
and its models, and CommonClient for raw shapes): the empty inventory, the periodic scan
setting, image registries (add, list, update, sync, remove) with passwords that never come
back, the cloud's validation codes, every signing method, and tenant isolation.

The server's operator scope is 127.0.0.2/32, where nothing listens: registries there are
accepted and fail their connectivity check, which comes back in HealthCheckErr.  Scans of
real images and registry syncs against a real registry are covered by the Rust tests
(crates/vigil-api/tests/it/tcss.rs) until the image engine and `vigil image import` land.

Every byte goes to 127.0.0.0/8."""

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.tcss.v20201101 import models, tcss_client

from conftest import _server, free_loopback_port, make_profile

# The SDK warns about response fields its models do not have: make that a failure, so
# every nested shape is checked field by field.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")

REGION = "ap-guangzhou"
VERSION = "2020-11-01"
SECRET = "Sup3r-Secret-Registry-Pw"


@pytest.fixture(scope="module")
def tcss_server(request, vigil_bin):
    server, accounts = _server(request, vigil_bin, "tcss", ["tcss-a", "tcss-b"],
                               extra_args=["--scope-allow", "127.0.0.2/32"])
    server.accounts = accounts
    return server


def typed(server, account, sign_method="TC3-HMAC-SHA256", req_method="POST"):
    cred = credential.Credential(account.secret_id, account.secret_key)
    return tcss_client.TcssClient(cred, REGION, make_profile(server, sign_method, req_method))


def common(server, account):
    cred = credential.Credential(account.secret_id, account.secret_key)
    return CommonClient("tcss", VERSION, cred, REGION, profile=make_profile(server))


@pytest.fixture(scope="module")
def ta(tcss_server):
    return typed(tcss_server, tcss_server.accounts["tcss-a"])


@pytest.fixture(scope="module")
def tb(tcss_server):
    return typed(tcss_server, tcss_server.accounts["tcss-b"])


@pytest.fixture(scope="module")
def ca(tcss_server):
    return common(tcss_server, tcss_server.accounts["tcss-a"])


def call(c, action, params=None):
    """A typed call: the request goes through the request model, the response through the
    response model (nested models warn, i.e. fail, on unknown fields)."""
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params or {}))
    resp = getattr(c, action)(req)
    assert resp.RequestId
    return resp


def raw(c, action, params=None):
    body = c.call_json(action, params or {})
    assert set(body) == {"Response"}, body
    r = body["Response"]
    assert "Error" not in r, r
    return r


def error_code(fn, *args):
    with pytest.raises(TencentCloudSDKException) as exc:
        fn(*args)
    assert exc.value.get_request_id(), "an error envelope from the server"
    return exc.value.get_code()


def fields(model_name):
    """The field names of an SDK model."""
    return {k[1:] for k in vars(getattr(models, model_name)())}


def assert_shape(obj, model_name, exact=True):
    """A raw response object has exactly (or at least) the model's fields."""
    want = fields(model_name) - {"RequestId"}
    have = set(obj) - {"RequestId"}
    if exact:
        assert have == want, "%s: extra %s, missing %s" % (model_name, have - want, want - have)
    else:
        assert have <= want, "%s: extra %s" % (model_name, have - want)


def registry_params(name, port, **extra):
    p = {"Name": name, "Username": "admin", "Password": SECRET,
         "Url": "http://127.0.0.2:%d" % port, "RegistryType": "harbor", "NetType": "public",
         "RegistryVersion": "V2", "RegistryRegion": "default", "Insecure": 0,
         "ConnDetectConfig": [{"Quuid": "backend", "Uuid": "backend"}], "SyncMode": 0}
    p.update(extra)
    return p


def test_empty_inventory(ta, ca):
    r = call(ta, "DescribeAssetImageList", {"Limit": 10, "Offset": 0})
    assert r.TotalCount == 0 and r.List == []
    assert_shape(raw(ca, "DescribeAssetImageList"), "DescribeAssetImageListResponse")
    r = call(ta, "DescribeAssetImageRegistryList", {"OnlyShowLatest": True})
    assert r.TotalCount == 0 and r.List == []
    missing = "sha256:" + "ab" * 32
    for action in ("DescribeAssetImageDetail", "DescribeAssetImageVulList",
                   "DescribeAssetImageVirusList", "DescribeAssetImageRiskList",
                   "DescribeImageComponentList"):
        assert error_code(call, ta, action, {"ImageID": missing}) == "ResourceNotFound", action
    assert error_code(call, ta, "DescribeAssetImageScanTask") == "ResourceNotFound"
    assert error_code(call, ta, "DescribeAssetImageScanStatus", {"TaskID": "1"}) == "ResourceNotFound"
    # Nothing to scan yet.
    code = error_code(call, ta, "CreateAssetImageScanTask",
                      {"All": True, "ScanVul": True, "ScanVirus": True, "ScanRisk": True})
    assert code == "ResourceNotFound"
    code = error_code(call, ta, "CreateAssetImageRegistryScanTask", {"All": True})
    assert code == "ResourceNotFound"


def test_scan_setting_create_and_describe(ta, tb, ca):
    before = call(tb, "DescribeAssetImageScanSetting")
    assert before.Enable is False and before.ScanPeriod == 0 and before.Images == []
    assert before.ScanTime == "" and before.ScanResult == ""
    image = "sha256:" + "0f" * 32
    call(ta, "CreateAssetImageScanSetting", {
        "Enable": True, "ScanTime": "01:30", "ScanPeriod": 2, "ScanVirus": True,
        "ScanRisk": False, "ScanVul": True, "ScanEndTime": "04:00", "ScanScope": 0,
        "ExcludeImages": [image]})
    r = call(ta, "DescribeAssetImageScanSetting")
    assert (r.Enable, r.ScanTime, r.ScanPeriod, r.ScanEndTime) == (True, "01:30", 2, "04:00")
    assert (r.ScanVirus, r.ScanRisk, r.ScanVul) == (True, False, True)
    assert r.ScanScope == 0 and r.All is False and r.ContainerRunning is False
    assert r.ExcludeImages == [image] and r.Images == [] and r.ClusterIDs == []
    assert r.LastScanTime == "" and r.ScanResult == ""
    assert_shape(raw(ca, "DescribeAssetImageScanSetting"), "DescribeAssetImageScanSettingResponse")
    # Create is the upsert: the second call replaces the first.
    call(ta, "CreateAssetImageScanSetting", {
        "Enable": False, "ScanTime": "23:00", "ScanPeriod": 7, "ScanVirus": False,
        "ScanRisk": True, "ScanVul": False})
    r = call(ta, "DescribeAssetImageScanSetting")
    assert (r.Enable, r.ScanTime, r.ScanPeriod, r.ScanRisk, r.ExcludeImages) == (False, "23:00", 7, True, [])
    # Tenants are separate.
    assert call(tb, "DescribeAssetImageScanSetting").ScanTime == ""
    # The cloud's codes.
    assert error_code(call, ta, "CreateAssetImageScanSetting", {"Enable": True}) == "MissingParameter"
    bad_time = {"Enable": True, "ScanTime": "1:30pm", "ScanPeriod": 1, "ScanVirus": True,
                "ScanRisk": True, "ScanVul": True}
    assert error_code(call, ta, "CreateAssetImageScanSetting", bad_time) == "InvalidParameter.InvalidFormat"
    scope_1 = dict(bad_time, ScanTime="01:00", ScanScope=1)
    assert error_code(call, ta, "CreateAssetImageScanSetting", scope_1) == "MissingParameter"
    scope_9 = dict(bad_time, ScanTime="01:00", ScanScope=9)
    assert error_code(call, ta, "CreateAssetImageScanSetting", scope_9) == "InvalidParameterValue"


def test_registry_add_list_update_sync_remove(tcss_server, ta, tb, ca):
    port = free_loopback_port("127.0.0.2")  # nothing listens there
    add = models.AddAssetImageRegistryRegistryDetailRequest()
    add.from_json_string(json.dumps(registry_params("harbor-a", port)))
    assert isinstance(add.ConnDetectConfig[0], models.ConnDetectConfig)
    r = ta.AddAssetImageRegistryRegistryDetail(add)
    assert isinstance(r.RegistryId, int) and r.RegistryId > 0
    assert r.NameRepeatErr == ""
    assert "127.0.0.2" in r.HealthCheckErr, r.HealthCheckErr
    rid = r.RegistryId

    dup = call(ta, "AddAssetImageRegistryRegistryDetail", registry_params("harbor-a", port))
    assert "harbor-a" in dup.NameRepeatErr and dup.RegistryId is None
    # Another tenant may use the same name.
    other = call(tb, "AddAssetImageRegistryRegistryDetail", registry_params("harbor-a", port))
    assert other.RegistryId and other.RegistryId != rid

    lst = call(ta, "DescribeAssetImageRegistryRegistryList",
               {"Limit": 10, "Offset": 0, "By": "InsertTime", "Order": "DESC"})
    assert lst.TotalCount == 1
    row = lst.List[0]
    assert isinstance(row, models.ImageRepoRegistryInfo)
    assert (row.RegistryId, row.Name, row.RegistryType, row.NetType) == (rid, "harbor-a", "harbor", "public")
    assert row.Url == "http://127.0.0.2:%d" % port
    assert (row.RegistryVersion, row.RegistryRegion, row.SyncMode) == ("V2", "default", 0)
    assert row.ConnDetectType == "backend" and row.ConnDetectHostCount == 1
    det = row.ConnDetectDetail[0]
    assert isinstance(det, models.RegistryConnDetectResult)
    assert (det.Quuid, det.Uuid, det.ConnDetectStatus) == ("backend", "backend", "status_failed")
    assert row.ConnectMsg == r.HealthCheckErr
    body = raw(ca, "DescribeAssetImageRegistryRegistryList")
    assert_shape(body, "DescribeAssetImageRegistryRegistryListResponse")
    assert_shape(body["List"][0], "ImageRepoRegistryInfo")
    assert_shape(body["List"][0]["ConnDetectDetail"][0], "RegistryConnDetectResult")
    text = json.dumps(body)
    assert SECRET not in text and "Password" not in text and "admin" not in text

    # Update replaces everything; agent hosts are reported offline (Vigil has no agents).
    upd = registry_params("harbor-renamed", port, RegistryId=rid, Password="n3w-" + SECRET,
                          ConnDetectConfig=[{"Quuid": "5a540076-d38a", "Uuid": "5a540076-d38a"}],
                          SyncMode=1)
    assert error_code(call, tb, "UpdateAssetImageRegistryRegistryDetail", upd) == "ResourceNotFound"
    u = call(ta, "UpdateAssetImageRegistryRegistryDetail", upd)
    assert u.RegistryId == rid and u.NameRepeatErr == "" and u.HealthCheckErr
    row = call(ta, "DescribeAssetImageRegistryRegistryList").List[0]
    assert (row.Name, row.SyncMode, row.ConnDetectType) == ("harbor-renamed", 1, "agent")
    assert row.ConnDetectDetail[0].ConnDetectMessage == "AgentOffline"
    no_id = registry_params("x", port)
    code = error_code(call, ta, "UpdateAssetImageRegistryRegistryDetail", no_id)
    assert code == "InvalidParameter.MissingParameter"

    # Sync: an unreachable registry records the failure (not an API error).
    call(ta, "SyncAssetImageRegistryAsset", {"All": False, "RegistryIds": [rid]})
    row = call(ta, "DescribeAssetImageRegistryRegistryList").List[0]
    assert row.SyncStatus == "failed" and row.SyncFailReason and row.SyncSolution
    assert error_code(call, ta, "SyncAssetImageRegistryAsset", {"RegistryIds": [rid + 1000]}) == "ResourceNotFound"
    assert error_code(call, ta, "SyncAssetImageRegistryAsset", {}) == "InvalidParameter.MissingParameter"

    # Out of the operator's scope: refused, nothing saved.
    code = error_code(call, ta, "AddAssetImageRegistryRegistryDetail",
                      dict(registry_params("loopback", port), Url="http://127.0.0.1:%d" % port))
    assert code == "InvalidParameterValue"
    assert call(ta, "DescribeAssetImageRegistryRegistryList").TotalCount == 1

    # Remove.
    assert error_code(call, tb, "RemoveAssetImageRegistryRegistryDetail", {"RegistryId": rid}) == "ResourceNotFound"
    call(ta, "RemoveAssetImageRegistryRegistryDetail", {"RegistryId": rid})
    assert call(ta, "DescribeAssetImageRegistryRegistryList").TotalCount == 0
    assert error_code(call, ta, "RemoveAssetImageRegistryRegistryDetail", {"RegistryId": rid}) == "ResourceNotFound"
    assert call(tb, "DescribeAssetImageRegistryRegistryList").TotalCount == 1


def test_validation_codes(ta, ca):
    # MissingParameter: the SDK sends the request without the required ImageID.
    assert error_code(call, ta, "DescribeAssetImageDetail", {}) == "MissingParameter"
    # UnknownParameter: only CommonClient can send a field the models do not have.
    with pytest.raises(TencentCloudSDKException) as exc:
        ca.call_json("DescribeAssetImageList", {"Limit": 10, "Bogus": 1})
    assert exc.value.get_code() == "UnknownParameter"
    with pytest.raises(TencentCloudSDKException) as exc:
        ca.call_json("DescribeAssetImageList", {"Filters": [{"Name": "ImageName", "Values": ["x"], "Fuzzy": True}]})
    assert exc.value.get_code() == "UnknownParameter"
    assert error_code(call, ta, "DescribeAssetImageList", {"Limit": 101}) == "InvalidParameterValue"
    assert error_code(call, ta, "DescribeAssetImageRegistryRegistryList", {"Limit": 1000}) == "InvalidParameterValue"
    f = {"Filters": [{"Name": "NoSuchFilter", "Values": ["1"], "ExactMatch": False}]}
    assert error_code(call, ta, "DescribeAssetImageList", f) == "InvalidParameter"
    f = {"Filters": [{"Name": "ScanStatus", "Values": ["asleep"]}]}
    assert error_code(call, ta, "DescribeAssetImageList", f) == "InvalidParameterValue"
    assert error_code(call, ta, "DescribeAssetImageList", {"By": "Nope"}) == "InvalidParameter"
    assert error_code(call, ta, "DescribeAssetImageList", {"Order": "sideways"}) == "InvalidParameter"
    # No scanner chosen.
    assert error_code(call, ta, "CreateAssetImageScanTask", {"All": True}) == "InvalidParameter"
    assert error_code(call, ta, "CreateAssetImageScanTask",
                      {"ScanVul": True, "ScanScope": 1}) == "InvalidParameter.MissingParameter"
    assert error_code(call, ta, "CreateAssetImageScanTask",
                      {"ScanVul": True, "ScanScope": 7}) == "InvalidParameterValue"
    assert error_code(call, ta, "ModifyAssetImageScanStop", {}) == "InvalidParameter.MissingParameter"
    assert error_code(call, ta, "CreateAssetImageRegistryScanTask",
                      {"Id": [1], "ScanType": ["POC"]}) == "InvalidParameterValue"
    assert error_code(call, ta, "DescribeAssetImageRegistryVulList", {"Limit": 10}) == "InvalidParameter.MissingParameter"
    assert error_code(call, ta, "DescribeAssetImageRegistryVirusList", {"Id": 4242}) == "ResourceNotFound"
    bad_type = registry_params("t", 9, RegistryType="gitlab")
    assert error_code(call, ta, "AddAssetImageRegistryRegistryDetail", bad_type) == "InvalidParameterValue"
    hook = registry_params("t", 9, WebhookUrl="https://hooks.example/x")
    assert error_code(call, ta, "AddAssetImageRegistryRegistryDetail", hook) == "UnsupportedOperation"
    # Wrong types are InvalidParameter.
    with pytest.raises(TencentCloudSDKException) as exc:
        ca.call_json("DescribeAssetImageList", {"Limit": "ten"})
    assert exc.value.get_code() == "InvalidParameter"
    # There is no UpdateAssetImageScanSetting.
    with pytest.raises(TencentCloudSDKException) as exc:
        ca.call_json("UpdateAssetImageScanSetting", {})
    assert exc.value.get_code() == "InvalidAction"
    # Cloud actions outside image scanning (clusters, runtime, compliance) exist but are not
    # served: the SDK's own clients get UnsupportedOperation naming the action.
    for action in ("DescribeClusterSummary", "DescribeComplianceAssetList"):
        with pytest.raises(TencentCloudSDKException) as exc:
            ca.call_json(action, {})
        assert exc.value.get_code() == "UnsupportedOperation", action
        assert action in exc.value.get_message()


@pytest.mark.parametrize("signing", [
    ("TC3-HMAC-SHA256", "GET"), ("HmacSHA256", "POST"), ("HmacSHA1", "GET"),
], ids=["tc3-get", "v1-sha256-post-form", "v1-sha1-get"])
def test_flattened_parameters_on_every_signing(tcss_server, signing):
    """Nested filters survive form and query flattening (Filters.0.Values.0=...)."""
    acct = tcss_server.accounts["tcss-a"]
    c = typed(tcss_server, acct, *signing)
    r = call(c, "DescribeAssetImageList", {
        "Limit": 5, "Offset": 0, "By": "CreateTime", "Order": "ASC",
        "Filters": [{"Name": "ScanStatus", "Values": ["notScan", "scanned"]},
                    {"Name": "ImageName", "Values": ["nginx"]}]})
    assert r.TotalCount == 0
    r = call(c, "DescribeAssetImageRegistryRegistryList",
             {"Filters": [{"Name": "IsAuthorized", "Values": ["all"]}]})
    assert r.TotalCount >= 0
    code = error_code(call, c, "DescribeAssetImageList", {"Limit": 101})
    assert code == "InvalidParameterValue"


def test_flattened_booleans_as_the_python_sdk_sends_them(tcss_server):
    acct = tcss_server.accounts["tcss-a"]
    c = typed(tcss_server, acct, "HmacSHA256", "GET")
    r = call(c, "DescribeAssetImageList",
             {"Filters": [{"Name": "ImageName", "Values": ["nginx"], "ExactMatch": False}]})
    assert r.TotalCount == 0
