"""A real TCSS image scan driven through the official SDK: advisories loaded with
`vigil db import` (the shared PyPA snapshot), an image built here imported with `vigil image
import`, then CreateAssetImageScanTask, DescribeAssetImageScanStatus until the task ends,
and every result list checked against what the image holds: requests 2.19.1 with
PYSEC-2018-28 / PYSEC-2023-74, an EICAR file, a Tencent Cloud key (masked), and the safe
twin image with none of them.  Then the Excel exports of those lists: each downloaded
through its signed DownloadUrl, opened with zipfile, and compared cell by cell with what
the list returns for the same Filters; ExportField, export jobs, tampered links and the
other tenant.

Every byte goes to 127.0.0.0/8."""

import hashlib
import io
import json
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.tcss.v20201101 import models, tcss_client

from conftest import _server, make_profile
from images import docker_archive, eicar, metadata

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SECRET_KEY = "q3W8e5R1t7Y2u9I4o6P0a8S3d5F1g7H2"


@pytest.fixture(scope="module")
def scan_server(request, vigil_bin, tmp_path_factory):
    server, accounts = _server(request, vigil_bin, "tcss-scan", ["scan-a", "scan-b"])
    server.accounts = accounts
    d = tmp_path_factory.mktemp("images")
    vulnerable = metadata("requests", "2.19.1")
    vulnerable["srv/upload/eicar.com"] = eicar()
    vulnerable["app/tencent.ini"] = (
        "SecretId = AKIDZ8k2Lq7Rt5Wx9Vb3Nm6Pc4Hd1Jf0Gs2Ya7Ke\nSecretKey = %s\n" % SECRET_KEY).encode()
    server.images = {
        "vulnerable": docker_archive(d / "vulnerable.tar", vulnerable, "shop/web:1.0"),
        "twin": docker_archive(d / "twin.tar", metadata("requests", "2.31.0"), "shop/web:1.1"),
    }
    run = lambda *a: subprocess.run([vigil_bin, *a], check=True, capture_output=True, text=True, timeout=120)
    run("db", "import", str(SHARED / "vulndb" / "pypa"), "--source", "pypa",
        "--data-dir", str(server.data_dir))
    app_id = str(accounts["scan-a"].app_id)
    for name in ("vulnerable", "twin"):
        out = run("image", "import", "docker-archive:%s" % (d / (name + ".tar")),
                  "--app-id", app_id, "--data-dir", str(server.data_dir)).stdout
        assert out.startswith(server.images[name]), out
    return server


def client(server, name):
    acct = server.accounts[name]
    cred = credential.Credential(acct.secret_id, acct.secret_key)
    return tcss_client.TcssClient(cred, "ap-guangzhou", make_profile(server))


def call(c, action, params=None):
    req = getattr(models, action + "Request")()
    req.from_json_string(json.dumps(params or {}))
    return getattr(c, action)(req)


def test_image_scan_end_to_end(scan_server):
    c = client(scan_server, "scan-a")
    images = call(c, "DescribeAssetImageList", {"Limit": 100})
    assert images.TotalCount == 2
    assert {i.ImageID for i in images.List} == set(scan_server.images.values())
    assert {i.ImageName for i in images.List} == {"shop/web:1.0", "shop/web:1.1"}
    assert all(i.ScanStatus == "NOT_SCAN" for i in images.List)
    # The other tenant sees nothing.
    assert call(client(scan_server, "scan-b"), "DescribeAssetImageList").TotalCount == 0

    task = call(c, "CreateAssetImageScanTask",
                {"All": True, "ScanVul": True, "ScanVirus": True, "ScanRisk": True})
    assert task.TaskID
    deadline = time.monotonic() + 120
    while True:
        st = call(c, "DescribeAssetImageScanStatus", {"TaskID": task.TaskID})
        if st.Status == "END" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert st.Status == "END", scan_server.log_tail()
    # SuccessCount: scanned and safe (the twin); RiskCount: scanned with risks.
    assert (st.ImageTotal, st.ImageScanCnt, st.SuccessCount, st.RiskCount) == (2, 2, 1, 1)

    vuln_id, twin_id = scan_server.images["vulnerable"], scan_server.images["twin"]
    vulns = call(c, "DescribeAssetImageVulList", {"ImageID": vuln_id, "Limit": 100})
    assert sorted(v.CVEID for v in vulns.List) == ["CVE-2018-18074", "CVE-2023-32681"]
    assert {(v.Component, v.Version) for v in vulns.List} == {("requests", "2.19.1")}
    fixed = {v.CVEID: v.FixedVersions for v in vulns.List}
    assert fixed == {"CVE-2018-18074": "2.20.0", "CVE-2023-32681": "2.31.0"}

    virus = call(c, "DescribeAssetImageVirusList", {"ImageID": vuln_id, "Limit": 100})
    assert [v.Path for v in virus.List] == ["/srv/upload/eicar.com"]
    assert virus.List[0].Md5 == hashlib.md5(eicar()).hexdigest()

    risks = call(c, "DescribeAssetImageRiskList", {"ImageID": vuln_id, "Limit": 100})
    text = json.dumps([json.loads(r.to_json_string()) for r in risks.List])
    assert "tencent.ini" in text
    assert SECRET_KEY not in text and SECRET_KEY not in risks.to_json_string()

    comps = call(c, "DescribeImageComponentList", {"ImageID": vuln_id, "Limit": 100})
    assert {(x.Name, x.Version) for x in comps.List} >= {("requests", "2.19.1")}

    # The safe twin: nothing.
    assert call(c, "DescribeAssetImageVulList", {"ImageID": twin_id}).TotalCount == 0
    assert call(c, "DescribeAssetImageVirusList", {"ImageID": twin_id}).TotalCount == 0
    assert call(c, "DescribeAssetImageRiskList", {"ImageID": twin_id}).TotalCount == 0

    rows = {i.ImageID: i for i in call(c, "DescribeAssetImageList", {"Limit": 100}).List}
    assert (rows[vuln_id].VulCnt, rows[vuln_id].VirusCnt) == (2, 1)
    assert rows[vuln_id].RiskCnt >= 1
    assert (rows[twin_id].VulCnt, rows[twin_id].VirusCnt, rows[twin_id].RiskCnt) == (0, 0, 0)
    assert all(i.ScanStatus == "SCANNED" for i in rows.values())


# ---------------------------------------------------------------------------------------
# Exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# Loopback only: never through a proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def scanned(scan_server):
    """The scan server with both images scanned (by the end-to-end test when it ran first)."""
    c = client(scan_server, "scan-a")
    rows = call(c, "DescribeAssetImageList", {"Limit": 100}).List
    if any(i.ScanStatus == "NOT_SCAN" for i in rows):
        call(c, "CreateAssetImageScanTask",
             {"All": True, "ScanVul": True, "ScanVirus": True, "ScanRisk": True})
    deadline = time.monotonic() + 120
    while any(i.ScanStatus != "SCANNED" for i in rows) and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = call(c, "DescribeAssetImageList", {"Limit": 100}).List
    assert all(i.ScanStatus == "SCANNED" for i in rows), scan_server.log_tail()
    return scan_server


def raw_client(server, name):
    acct = server.accounts[name]
    cred = credential.Credential(acct.secret_id, acct.secret_key)
    return CommonClient("tcss", "2020-11-01", cred, "ap-guangzhou", profile=make_profile(server))


def raw_list(server, action, params):
    body = raw_client(server, "scan-a").call_json(action, params)["Response"]
    assert "Error" not in body, body
    return body["List"]


def fields(model):
    return [k[1:] for k in vars(getattr(models, model)())]


def download(url):
    with DIRECT.open(url, timeout=30) as r:
        return r.status, r.headers, r.read()


def read_xlsx(data):
    """(header, rows as dicts) of the first sheet; fails on any formula cell."""
    z = zipfile.ZipFile(io.BytesIO(data))
    strings = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(NS + "si"):
            strings.append("".join(t.text or "" for t in si.iter(NS + "t")))
    sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    table = []
    for row in sheet.iter(NS + "row"):
        cells = {}
        for c in row.iter(NS + "c"):
            assert c.find(NS + "f") is None, "a formula cell"
            col = 0
            for ch in re.match("[A-Z]+", c.get("r")).group(0):
                col = col * 26 + ord(ch) - 64
            v, t = c.find(NS + "v"), c.get("t")
            if v is None:
                continue
            if t == "s":
                cells[col - 1] = strings[int(v.text)]
            elif t == "b":
                cells[col - 1] = v.text == "1"
            else:
                assert t is None, t
                cells[col - 1] = float(v.text)
        table.append(cells)
    header = [table[0][i] for i in range(len(table[0]))]
    rows = [{h: r.get(i) for i, h in enumerate(header)} for r in table[1:]]
    return header, rows


def as_cell(v):
    """What a list value becomes in the workbook."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def assert_same(header, rows, listed):
    assert len(rows) == len(listed)
    for got, want in zip(rows, listed):
        assert got == {h: as_cell(want[h]) for h in header}


def test_exports_match_the_lists(scanned):
    c = client(scanned, "scan-a")
    vuln_id = scanned.images["vulnerable"]
    cases = [
        ("DescribeAssetImageVulListExport", "DescribeAssetImageVulList", "ImagesVul",
         {"ImageID": vuln_id}, {}),
        ("DescribeAssetImageVulListExport", "DescribeAssetImageVulList", "ImagesVul",
         {"ImageID": vuln_id, "Filters": [{"Name": "Name", "Values": ["CVE-2023"]}]}, {}),
        ("DescribeAssetImageRiskListExport", "DescribeAssetImageRiskList", "ImageRiskInfo",
         {"ImageID": vuln_id}, {}),
        ("DescribeAssetImageVirusListExport", "DescribeAssetImageVirusList", "ImageVirusInfo",
         {"ImageID": vuln_id}, {}),
        ("CreateAssetImageVirusExportJob", "DescribeAssetImageVirusList", "ImageVirusInfo",
         {"ImageID": vuln_id, "By": "Path", "Order": "asc"}, {}),
        ("CreateImageExportJob", "DescribeAssetImageList", "ImagesInfo",
         {"By": "ImageName", "Order": "asc"}, {}),
        ("CreateImageExportJob", "DescribeAssetImageList", "ImagesInfo",
         {"Filters": [{"Name": "ImageName", "Values": ["web:1.0"]}]}, {}),
        ("DescribeAssetImageRegistryListExport", "DescribeAssetImageRegistryList",
         "ImageRepoInfo", {"OnlyShowLatest": True}, {}),
    ]
    for export, listing, model, params, _ in cases:
        resp = call(c, export, params)
        listed = raw_list(scanned, listing, dict(params, Limit=100))
        url = getattr(resp, "DownloadUrl", None)
        if url is None:
            # A job: follow it.
            result = call(c, "DescribeExportJobResult", {"JobId": resp.JobId})
            assert (result.ExportStatus, result.ExportProgress, result.FailureMsg) == ("SUCCESS", 100, "")
            url = result.DownloadURL
        elif hasattr(resp, "JobId"):
            assert call(c, "DescribeExportJobResult", {"JobId": resp.JobId}).ExportStatus == "SUCCESS"
        status, headers, body = download(url)
        assert status == 200
        assert headers["Content-Type"] == XLSX
        assert headers["Content-Disposition"].startswith("attachment; filename=")
        assert headers["Content-Disposition"].endswith('.xlsx"')
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in headers["Cache-Control"]
        header, rows = read_xlsx(body)
        assert header == fields(model), export
        assert_same(header, rows, listed)
        if listing != "DescribeAssetImageRegistryList":
            assert rows, (export, params)
    # The filter narrowed the export as it narrows the list.
    vul_all = call(c, "DescribeAssetImageVulListExport", {"ImageID": vuln_id})
    assert len(read_xlsx(download(vul_all.DownloadUrl)[2])[1]) == 2
    narrowed = call(c, "DescribeAssetImageVulListExport",
                    {"ImageID": vuln_id, "Filters": [{"Name": "Name", "Values": ["CVE-2023"]}]})
    assert [r["CVEID"] for r in read_xlsx(download(narrowed.DownloadUrl)[2])[1]] == ["CVE-2023-32681"]


def test_vul_image_export_job(scanned):
    c = client(scanned, "scan-a")
    job = call(c, "CreateVulImageExportJob", {"PocID": "CVE-2018-18074"})
    url = call(c, "DescribeExportJobDownloadURL", {"JobID": job.JobId}).DownloadURL
    header, rows = read_xlsx(download(url)[2])
    assert header == fields("VulAffectedImageInfo")
    assert [r["ImageID"] for r in rows] == [scanned.images["vulnerable"]]
    assert rows[0]["ImageName"] == "shop/web:1.0" and rows[0]["HostCount"] == 0.0
    comps = json.loads(rows[0]["ComponentList"])
    assert [(x["Name"], x["Version"], x["FixedVersion"]) for x in comps] == [("requests", "2.19.1", "2.20.0")]
    none = call(c, "CreateVulImageExportJob",
                {"PocID": "CVE-2018-18074", "Filters": [{"Name": "ImageName", "Values": ["1.1"]}]})
    url = call(c, "DescribeExportJobResult", {"JobId": none.JobId}).DownloadURL
    assert read_xlsx(download(url)[2]) == (header, [])


def test_export_field_and_errors(scanned):
    c = client(scanned, "scan-a")
    vuln_id = scanned.images["vulnerable"]
    resp = call(c, "DescribeAssetImageVulListExport",
                {"ImageID": vuln_id, "ExportField": ["Level", "CVEID", "Tag"]})
    header, rows = read_xlsx(download(resp.DownloadUrl)[2])
    assert header == ["Level", "CVEID", "Tag"]
    assert_same(header, rows, raw_list(scanned, "DescribeAssetImageVulList", {"ImageID": vuln_id}))
    for action, params in [
        ("DescribeAssetImageVulListExport", {"ImageID": vuln_id, "ExportField": ["CVEID", "Nope"]}),
        ("CreateImageExportJob", {"ExportField": ["_Id"]}),
        ("DescribeAssetImageRegistryListExport", {"ExportField": ["imagename"]}),
    ]:
        with pytest.raises(TencentCloudSDKException) as exc:
            call(c, action, params)
        assert exc.value.get_code() == "InvalidParameterValue", action
    for action, params in [
        ("DescribeAssetImageVulListExport", {"ImageID": "sha256:" + "ab" * 32}),
        ("DescribeAssetImageRegistryVulListExport", {"Id": 999999}),
        ("DescribeExportJobResult", {"JobId": "no-such-job"}),
        ("DescribeExportJobDownloadURL", {"JobID": "no-such-job"}),
    ]:
        with pytest.raises(TencentCloudSDKException) as exc:
            call(c, action, params)
        assert exc.value.get_code() == "ResourceNotFound", action


def test_export_links_and_tenants(scanned):
    a, b = client(scanned, "scan-a"), client(scanned, "scan-b")
    job = call(a, "CreateImageExportJob", {})
    assert download(job.DownloadUrl)[0] == 200
    u = urllib.parse.urlsplit(job.DownloadUrl)
    q = dict(urllib.parse.parse_qsl(u.query))
    sig = q["sig"]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    b_app = str(scanned.accounts["scan-b"].app_id)
    a_app = str(scanned.accounts["scan-a"].app_id)
    tampered = [
        urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(dict(q, sig=flipped)))),
        urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(
            dict(q, expires=str(int(q["expires"]) + 3600))))),
        urllib.parse.urlunsplit(u._replace(path=u.path.replace("/" + a_app + "/", "/" + b_app + "/"))),
        urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(dict(q, expires="1")))),
    ]
    for url in tampered:
        with pytest.raises(urllib.error.HTTPError) as exc:
            download(url)
        assert exc.value.code == 403, url
    # The other tenant can neither follow nor re-link the job.
    for action, params in [("DescribeExportJobResult", {"JobId": job.JobId}),
                           ("DescribeExportJobDownloadURL", {"JobID": job.JobId})]:
        with pytest.raises(TencentCloudSDKException) as exc:
            call(b, action, params)
        assert exc.value.get_code() == "ResourceNotFound", action
    # Its own export of the same list is empty: no images.
    b_job = call(b, "CreateImageExportJob", {})
    header, rows = read_xlsx(download(b_job.DownloadUrl)[2])
    assert header == fields("ImagesInfo") and rows == []

    # The job lists: each tenant sees exactly its own jobs, newest first, filterable.
    mine = call(a, "DescribeExportJobManageList", {"Limit": 100})
    ids = [j.JobID for j in mine.List]
    assert job.JobId in ids and b_job.JobId not in ids
    assert mine.TotalCount == len(ids)
    assert all(j.ExportStatus == "SUCCESS" and j.ExportProgress == 100 for j in mine.List)
    assert [j.InsertTime for j in mine.List] == sorted((j.InsertTime for j in mine.List), reverse=True)
    theirs = call(b, "DescribeExportJobManageList", {"Limit": 100})
    assert [j.JobID for j in theirs.List] == [b_job.JobId]
    source = next(j.Source for j in mine.List if j.JobID == job.JobId)
    only = call(a, "DescribeExportJobManageList",
                {"Filters": [{"Name": "JobID", "Values": [job.JobId]}]})
    assert (only.TotalCount, only.List[0].Source) == (1, source)
    with pytest.raises(TencentCloudSDKException) as exc:
        call(a, "DescribeExportJobManageList", {"Filters": [{"Name": "Nope", "Values": ["x"]}]})
    assert exc.value.get_code() == "InvalidParameter"
