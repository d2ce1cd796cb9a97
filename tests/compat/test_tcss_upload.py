"""Image archives uploaded into the TCSS inventory (`PUT /upload/tcss/images`, Vigil's
extension beside the cloud actions), signed with TC3-HMAC-SHA256 over the body's SHA-256,
then seen and scanned through the official SDK.

Every byte goes to 127.0.0.0/8."""

import hashlib
import hmac
import io
import json
import stat
import tarfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from conftest import _server
from test_tcss_scan_sdk import call, client, docker_archive, eicar, metadata

pytestmark = pytest.mark.filterwarnings("error::UserWarning")

PATH = "/upload/tcss/images"


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signed_put(server, account, body, *, payload_hash=None, service="tcss", path=PATH,
               tamper=False, timestamp=None):
    """PUT `body` with a TC3 signature computed as the TC3 specification says (the payload
    hash in the canonical request and in X-TC-Content-SHA256); returns the Response object."""
    ts = int(timestamp if timestamp is not None else time.time())
    date = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")
    payload_hash = payload_hash or hashlib.sha256(body).hexdigest()
    host = server.endpoint
    ctype = "application/x-tar"
    canonical_headers = "content-type:%s\nhost:%s\n" % (ctype, host)
    signed_headers = "content-type;host"
    canonical = "PUT\n%s\n\n%s\n%s\n%s" % (path, canonical_headers, signed_headers, payload_hash)
    scope = "%s/%s/tc3_request" % (date, service)
    to_sign = "TC3-HMAC-SHA256\n%d\n%s\n%s" % (
        ts, scope, hashlib.sha256(canonical.encode()).hexdigest())
    k = _hmac(("TC3" + account.secret_key).encode(), date)
    k = _hmac(k, service)
    k = _hmac(k, "tc3_request")
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if tamper:
        sig = ("0" if sig[0] != "0" else "1") + sig[1:]
    auth = "TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        account.secret_id, scope, signed_headers, sig)
    req = urllib.request.Request(
        server.base_url + path, data=body, method="PUT",
        headers={"Authorization": auth, "Content-Type": ctype, "Host": host,
                 "X-TC-Timestamp": str(ts), "X-TC-Content-SHA256": payload_hash})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return json.loads(r.read())["Response"]


def error_code(resp):
    return resp.get("Error", {}).get("Code")


@pytest.fixture(scope="module")
def upload_server(request, vigil_bin, tmp_path_factory):
    server, accounts = _server(request, vigil_bin, "tcss-upload", ["up-a", "up-b"])
    server.accounts = accounts
    d = tmp_path_factory.mktemp("uploads")
    files = metadata("requests", "2.31.0")
    files["srv/upload/eicar.com"] = eicar()
    server.image_id = docker_archive(d / "app.tar", files, "shop/upload:2.0")
    server.archive = (d / "app.tar").read_bytes()
    return server


def test_upload_then_scan(upload_server):
    srv = upload_server
    a = srv.accounts["up-a"]
    r = signed_put(srv, a, srv.archive)
    assert "Error" not in r, r
    assert r["ImageId"] == srv.image_id
    assert r["ImageName"] == "shop/upload:2.0"
    assert r["Size"] > 0 and r["RequestId"]
    # Uploading the same archive again is the same image, not a second one.
    assert signed_put(srv, a, srv.archive)["ImageId"] == srv.image_id

    c = client(srv, "up-a")
    images = call(c, "DescribeAssetImageList", {"Limit": 100})
    assert [(i.ImageID, i.ImageName) for i in images.List] == [(srv.image_id, "shop/upload:2.0")]
    # Tenants: the other account's inventory is untouched.
    assert call(client(srv, "up-b"), "DescribeAssetImageList").TotalCount == 0

    # The worker reads the stored upload: the EICAR file in it is found.
    task = call(c, "CreateAssetImageScanTask", {"All": True, "ScanVirus": True})
    deadline = time.monotonic() + 120
    while True:
        st = call(c, "DescribeAssetImageScanStatus", {"TaskID": task.TaskID})
        if st.Status == "END" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert st.Status == "END", srv.log_tail()
    virus = call(c, "DescribeAssetImageVirusList", {"ImageID": srv.image_id, "Limit": 100})
    assert [v.Path for v in virus.List] == ["/srv/upload/eicar.com"]


def test_upload_refusals(upload_server):
    srv = upload_server
    a = srv.accounts["up-a"]
    body = srv.archive
    # A body that is not the signed one.
    r = signed_put(srv, a, body, payload_hash=hashlib.sha256(body + b"x").hexdigest())
    assert error_code(r) == "AuthFailure.SignatureFailure", r
    # A wrong signature, a signature for another service, an old timestamp.
    assert error_code(signed_put(srv, a, body, tamper=True)) == "AuthFailure.SignatureFailure"
    assert error_code(signed_put(srv, a, body, service="cws")) == "AuthFailure.InvalidAuthorization"
    assert error_code(signed_put(srv, a, body, timestamp=time.time() - 3600)) == \
        "AuthFailure.SignatureExpire"
    # Unsigned payloads are not accepted for uploads.
    r = signed_put(srv, a, body, payload_hash="UNSIGNED-PAYLOAD")
    assert error_code(r) == "InvalidParameterValue", r
    # Not an image: a tar without a manifest, and plain bytes.
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        info = tarfile.TarInfo("hello.txt")
        info.size = 5
        t.addfile(info, io.BytesIO(b"hello"))
    r = signed_put(srv, a, buf.getvalue())
    assert error_code(r) == "InvalidParameterValue", r
    assert "not a readable image archive" in r["Error"]["Message"]
    assert error_code(signed_put(srv, a, b"not a tar at all")) == "InvalidParameterValue"
    # Traversal inside a layer is refused by the reader, and nothing is recorded.
    evil = srv.root / "evil.tar"
    docker_archive(evil, {"../../etc/evil": b"x"}, "evil/image:1")
    r = signed_put(srv, a, evil.read_bytes())
    assert error_code(r) == "InvalidParameterValue", r
    names = {i.ImageName for i in call(client(srv, "up-a"), "DescribeAssetImageList",
                                        {"Limit": 100}).List}
    assert "evil/image:1" not in names
    # No Authorization at all.
    req = urllib.request.Request(srv.base_url + PATH, data=body, method="PUT")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert json.loads(resp.read())["Response"]["Error"]["Code"] == \
            "AuthFailure.InvalidAuthorization"
    # Refused uploads leave no files behind.
    up_dir = srv.data_dir / "uploads" / str(a.app_id)
    assert sorted(p.name for p in up_dir.iterdir()) == \
        [hashlib.sha256(body).hexdigest() + ".tar"]


def repacked(archive):
    """The same image in other bytes: the archive's members in reverse order."""
    src = tarfile.open(fileobj=io.BytesIO(archive))
    members = [(m, src.extractfile(m).read()) for m in src.getmembers()]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        for m, data in reversed(members):
            t.addfile(m, io.BytesIO(data))
    return out.getvalue()


def test_reupload_keeps_only_the_newest_archive(upload_server):
    srv = upload_server
    a = srv.accounts["up-b"]
    up_dir = srv.data_dir / "uploads" / str(a.app_id)
    first = signed_put(srv, a, srv.archive)
    assert first["ImageId"] == srv.image_id, first
    again = repacked(srv.archive)
    assert again != srv.archive
    second = signed_put(srv, a, again)
    assert second["ImageId"] == srv.image_id, second
    # One image, read from the new archive; the old one is gone.
    assert sorted(p.name for p in up_dir.iterdir()) == [hashlib.sha256(again).hexdigest() + ".tar"]
    # Uploads are private to Vigil's user whatever the umask: directories 0700, files 0600.
    for d in (srv.data_dir, up_dir):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
    for f in up_dir.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE((srv.data_dir / "vigil.db").stat().st_mode) == 0o600
    images = call(client(srv, "up-b"), "DescribeAssetImageList", {"Limit": 100})
    assert [i.ImageID for i in images.List] == [srv.image_id]


@pytest.fixture(scope="module")
def small_server(request, vigil_bin, tmp_path_factory, upload_server):
    """A server taking archives of at most 64 KiB, 256 KiB per account."""
    conf = tmp_path_factory.mktemp("conf") / "vigil.toml"
    conf.write_text("[api]\nmax_upload_bytes = 65536\n")
    server, accounts = _server(request, vigil_bin, "tcss-upload-small", ["small"],
                               extra_args=["--config", str(conf)])
    server.accounts = accounts
    server.archive = upload_server.archive
    return server


def test_size_limits(small_server):
    srv = small_server
    a = srv.accounts["small"]
    assert len(srv.archive) < 65536
    assert "Error" not in signed_put(srv, a, srv.archive)
    # One archive over the limit: refused, nothing kept.
    big = srv.archive + b"\0" * 70000
    assert error_code(signed_put(srv, a, big)) == "RequestSizeLimitExceeded"
    # Distinct archives until the account's 256 KiB are used up.
    codes = []
    for n in range(12):
        files = {"srv/blob.bin": (b"%d" % n) * 8000}
        path = srv.root / ("filler%d.tar" % n)
        docker_archive(path, files, "filler/%d:1" % n)
        codes.append(error_code(signed_put(srv, a, path.read_bytes())))
    assert codes[0] is None, codes
    assert "LimitExceeded" in codes, codes
    up_dir = srv.data_dir / "uploads" / str(a.app_id)
    assert sum(p.stat().st_size for p in up_dir.iterdir()) <= 4 * 65536
