"""A real TCSS image scan driven through the official SDK: advisories loaded with
`vigil db import` (the shared PyPA snapshot), an image built here imported with `vigil image
import`, then CreateAssetImageScanTask, DescribeAssetImageScanStatus until the task ends,
and every result list checked against what the image holds: requests 2.19.1 with
PYSEC-2018-28 / PYSEC-2023-74, an EICAR file, a Tencent Cloud key (masked), and the safe
twin image with none of them.

Every byte goes to 127.0.0.0/8."""

import hashlib
import io
import json
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.tcss.v20201101 import models, tcss_client

from conftest import _server, make_profile

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SECRET_KEY = "q3W8e5R1t7Y2u9I4o6P0a8S3d5F1g7H2"


def eicar():
    # Assembled here so the repository never holds the test file itself.
    return ("X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*").encode()


def tar_of(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def docker_archive(path, files, tag):
    """A `docker save` archive of one layer."""
    layer = tar_of(files)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "2026-01-02T03:04:05Z",
        "config": {"User": "app", "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "COPY . /"}],
    }).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    manifest = json.dumps([{"Config": config_hex + ".json", "RepoTags": [tag],
                            "Layers": ["layer0/layer.tar"]}]).encode()
    with tarfile.open(path, "w") as t:
        for name, data in ((config_hex + ".json", config), ("layer0/layer.tar", layer),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return "sha256:" + config_hex


def metadata(name, version):
    return {f"usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()}


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
