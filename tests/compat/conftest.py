"""Fixtures for the Tencent Cloud API 3.0 (CWS 2018-03-12) compatibility suite.

The suite starts real `vigil` processes (path from $VIGIL_BIN) on loopback
ports, each with its own temporary data directory, and drives them with the
official Python SDK and the `tccli` command line.

Network rule: every byte this suite sends goes to 127.0.0.0/8.  Proxy
variables are removed from the environment below, because both the SDK and
`requests` would otherwise route plain-http traffic through $HTTP_PROXY.
"""

import itertools
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

import publichost
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.cws.v20180312 import cws_client

SERVICE = "cws"
API_VERSION = "2018-03-12"
REGION = "ap-guangzhou"
HEALTH_TIMEOUT_S = 30.0
SUBPROCESS_TIMEOUT_S = 30.0

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
              "http_proxy", "https_proxy", "all_proxy")
for _var in PROXY_VARS:
    os.environ.pop(_var, None)

# urllib opener that never consults proxy settings.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# --------------------------------------------------------------------------
# Accounts and servers
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """One key pair as printed by `vigil keys create`."""
    name: str
    secret_id: str
    secret_key: str
    app_id: object  # as printed (int or numeric string)
    uin: object

    @property
    def credential(self):
        return credential.Credential(self.secret_id, self.secret_key)


def free_loopback_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process(proc):
    """Terminate a child process, killing it if it does not exit within 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _tail(path, lines=60):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as exc:
        return "<no log: %s>" % exc
    return "\n".join(text.splitlines()[-lines:])


class VigilServer:
    """A `vigil serve` process on 127.0.0.1:<free port> with its own data dir."""

    def __init__(self, binary, root, label, extra_args=(), workers=1):
        self.binary = binary
        self.workers = workers
        self.label = label
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(parents=True)
        self.log_path = self.root / "vigil.log"
        self.extra_args = list(extra_args)
        self.port = None
        self.proc = None
        self._log = None

    # -- accounts ---------------------------------------------------------
    def create_account(self, name):
        cmd = [self.binary, "keys", "create", "--data-dir", str(self.data_dir),
               "--name", name]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=SUBPROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pytest.fail("`%s` did not finish within %ss" % (" ".join(cmd), SUBPROCESS_TIMEOUT_S),
                        pytrace=False)
        if res.returncode != 0:
            pytest.fail("`%s` exited %s\nstdout:\n%s\nstderr:\n%s"
                        % (" ".join(cmd), res.returncode, res.stdout, res.stderr),
                        pytrace=False)
        try:
            obj = json.loads(res.stdout)
        except ValueError:
            pytest.fail("`vigil keys create` must print one JSON object on stdout, got:\n%r"
                        % res.stdout, pytrace=False)
        missing = {"SecretId", "SecretKey", "AppId", "Uin"} - set(obj)
        assert not missing, "keys create output lacks %s: %r" % (sorted(missing), obj)
        return Account(name, obj["SecretId"], obj["SecretKey"], obj["AppId"], obj["Uin"])

    # -- lifecycle ----------------------------------------------------------
    @property
    def endpoint(self):
        return "127.0.0.1:%d" % self.port

    @property
    def base_url(self):
        return "http://" + self.endpoint

    def start(self):
        self.port = free_loopback_port()
        cmd = [self.binary, "serve", "--listen", self.endpoint,
               "--data-dir", str(self.data_dir), "--workers", str(self.workers)] + self.extra_args
        self._log = open(self.log_path, "ab")
        self._log.write(("$ %s\n" % " ".join(cmd)).encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self._log, stderr=self._log)
        self._wait_healthy()

    def _wait_healthy(self):
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail("vigil (%s) exited with %s before becoming healthy; log tail:\n%s"
                            % (self.label, self.proc.returncode, self.log_tail()),
                            pytrace=False)
            try:
                with _DIRECT.open(self.base_url + "/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
                    last = "HTTP %s" % resp.status
            except urllib.error.HTTPError as exc:
                last = "HTTP %s" % exc.code
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.1)
        self.stop()
        pytest.fail("vigil (%s) not healthy on %s/healthz within %ss (last: %s); log tail:\n%s"
                    % (self.label, self.base_url, HEALTH_TIMEOUT_S, last, self.log_tail()),
                    pytrace=False)

    def is_healthy(self):
        try:
            with _DIRECT.open(self.base_url + "/healthz", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def stop(self):
        stop_process(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines=60):
        return _tail(self.log_path, lines)


_RUNNING = []  # servers whose log tail is attached to failing test reports


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when in ("setup", "call"):
        for server in _RUNNING:
            rep.sections.append(("vigil %s log tail" % server.label, server.log_tail(40)))


@pytest.fixture(scope="session")
def vigil_bin():
    path = os.environ.get("VIGIL_BIN")
    if not path:
        pytest.fail("VIGIL_BIN is not set: export VIGIL_BIN=/path/to/vigil "
                    "(e.g. target/debug/vigil) before running tests/compat",
                    pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail("VIGIL_BIN=%s is not an executable file" % path, pytrace=False)
    return path


def _server(request, binary, label, accounts, extra_args=(), workers=1):
    """A started server with these accounts; `workers` 0 leaves queued tasks queued."""
    root = tempfile.mkdtemp(prefix="vigil-compat-%s-" % label)
    server = VigilServer(binary, root, label, extra_args, workers)
    created = {name: server.create_account(name) for name in accounts}

    def finish():
        server.stop()
        if request.session.testsfailed:
            print("\n--- vigil %s log tail (%s) ---\n%s"
                  % (label, server.log_path, server.log_tail()))
        else:
            shutil.rmtree(root, ignore_errors=True)
        if server in _RUNNING:
            _RUNNING.remove(server)

    request.addfinalizer(finish)
    server.start()
    _RUNNING.append(server)
    return server, created


@pytest.fixture(scope="session")
def vigil_main(request, vigil_bin):
    """The main server, with account A ("compat"), account B and a burst account.

    All key pairs are created before `serve` starts, so the data dir is never
    written by two processes at once."""
    server, accounts = _server(request, vigil_bin, "main",
                               ["compat", "compat-b", "compat-burst"])
    server.accounts = accounts
    return server


@pytest.fixture(scope="session")
def account_a(vigil_main):
    return vigil_main.accounts["compat"]


@pytest.fixture(scope="session")
def account_b(vigil_main):
    return vigil_main.accounts["compat-b"]


@pytest.fixture(scope="session")
def account_burst(vigil_main):
    """Used only by the rate-limit test, so its burst cannot throttle others."""
    return vigil_main.accounts["compat-burst"]


@pytest.fixture(scope="session")
def vigil_scoped(request, vigil_bin):
    """A second server whose operator scope is 127.0.0.2/32 (auto-verification)."""
    server, accounts = _server(request, vigil_bin, "scoped", ["compat"],
                               extra_args=["--scope-allow", "127.0.0.2/32"])
    server.accounts = accounts
    return server


# --------------------------------------------------------------------------
# SDK clients
# --------------------------------------------------------------------------

class RateLimitRetryer:
    """Retry a call only when the server answers RequestLimitExceeded*.

    Ordinary tests share an account and may now and then exceed the
    per-account limit; this keeps them deterministic without hiding any
    other error (unlike the SDK's StandardRetryer, which also retries network
    errors).  The rate-limit test uses clients without it."""

    def __init__(self, attempts=4, pause_s=1.1):
        self.attempts = attempts
        self.pause_s = pause_s

    def send_request(self, fn):
        for attempt in range(self.attempts):
            try:
                return fn()
            except TencentCloudSDKException as exc:
                limited = str(exc.get_code()).startswith("RequestLimitExceeded")
                if not limited or attempt == self.attempts - 1:
                    raise
            time.sleep(self.pause_s)


def make_profile(server, sign_method="TC3-HMAC-SHA256", req_method="POST", retry=True):
    http = HttpProfile(endpoint=server.endpoint, protocol="http",
                       reqMethod=req_method, reqTimeout=30)
    return ClientProfile(signMethod=sign_method, httpProfile=http,
                         retryer=RateLimitRetryer() if retry else None)


@pytest.fixture(scope="session")
def client_for():
    """Factory: client_for(server, account, sign_method=..., req_method=...,
    secret_id=..., secret_key=..., version=..., typed=False, retry=True)."""

    def make(server, account, sign_method="TC3-HMAC-SHA256", req_method="POST",
             secret_id=None, secret_key=None, version=API_VERSION, typed=False,
             retry=True):
        cred = credential.Credential(secret_id or account.secret_id,
                                     secret_key or account.secret_key)
        profile = make_profile(server, sign_method, req_method, retry)
        if typed:
            assert version == API_VERSION, "the typed client has a fixed version"
            return cws_client.CwsClient(cred, REGION, profile)
        return CommonClient(SERVICE, version, cred, REGION, profile=profile)

    return make


@pytest.fixture(scope="session")
def client_a(vigil_main, account_a, client_for):
    return client_for(vigil_main, account_a)


@pytest.fixture(scope="session")
def client_b(vigil_main, account_b, client_for):
    return client_for(vigil_main, account_b)


# --------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------

@pytest.fixture(scope="session")
def new_url():
    """Fresh site URLs on distinct loopback hosts (127.77.x.y, port 9, where
    nothing listens), so no two tests share a host and anything the server
    might fetch stays on this machine and fails fast."""
    counter = itertools.count()

    def make():
        i = next(counter)
        return "http://127.77.%d.%d:9/" % (i // 250, i % 250 + 1)

    return make


@pytest.fixture
def sites():
    """sites.create(client, urls) -> [MiniSite dict]; everything created is
    deleted again at teardown (errors there are ignored: a test may already
    have deleted its sites)."""

    class Sites:
        def __init__(self):
            self.created = []  # (client, site id)

        def create(self, client, urls):
            resp = client.call_json("CreateSites", {"Urls": list(urls)})["Response"]
            for site in resp.get("Sites") or []:
                self.created.append((client, site["SiteId"]))
            return resp["Sites"]

        def create_one(self, client, url):
            (site,) = self.create(client, [url])
            return site["SiteId"]

        def cleanup(self):
            for client, site_id in self.created:
                try:
                    client.call_json("DeleteSites", {"SiteIds": [site_id]})
                except TencentCloudSDKException:
                    pass

    registry = Sites()
    yield registry
    registry.cleanup()


@pytest.fixture
def public_host(tmp_path):
    """A test host at a public-looking address (TEST-NET-3) in a network namespace."""
    if not publichost.available():
        if os.environ.get("CI"):
            pytest.fail("root and iproute2 are required in CI for the public test host")
        pytest.skip("needs root and iproute2 for a network namespace")
    host = publichost.PublicHost(tmp_path)
    yield host
    host.close()
