"""Drive vigil with the `tccli` command line installed in this venv.

tccli has no protocol option: every cws command builds
HttpProfile(endpoint=<--endpoint or cws.endpoint from the profile>) with the
default scheme https.  The SDK keeps an endpoint that already carries a scheme
as is, so `--endpoint http://127.0.0.1:PORT` makes tccli speak plain http.  A
side effect is that the `Host` header (and the `host` line of the TC3
canonical request) is then the literal string "http://127.0.0.1:PORT"; vigil
has to accept that Host and verify the signature against it verbatim.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PROXY_VARS

TCCLI = Path(sys.executable).with_name("tccli")
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def tccli():
    if not TCCLI.is_file():
        pytest.fail("tccli not found next to %s: pip install -r tests/compat/requirements.txt"
                    % sys.executable, pytrace=False)
    return str(TCCLI)


@pytest.fixture
def cli_env(tmp_path):
    """Environment with a throw-away HOME (tccli writes ~/.tccli there) and no
    credentials, profile or proxy settings inherited from the caller."""
    env = {k: v for k, v in os.environ.items()
           if k not in PROXY_VARS and not k.startswith(("TENCENTCLOUD_", "TCCLI_"))}
    home = tmp_path / "home"
    home.mkdir()
    env["HOME"] = str(home)
    return env


def run(tccli, env, *args):
    return subprocess.run([tccli, *args], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=TIMEOUT_S)


def run_json(tccli, env, *args):
    res = run(tccli, env, *args)
    assert res.returncode == 0, "tccli %s -> rc %s\nstdout:\n%s\nstderr:\n%s" % (
        " ".join(args), res.returncode, res.stdout, res.stderr)
    return json.loads(res.stdout)


def http_endpoint(server):
    return "http://" + server.endpoint


def test_quota_with_credentials_on_command_line(tccli, cli_env, vigil_main, account_a):
    out = run_json(tccli, cli_env, "cws", "DescribeSiteQuota",
                   "--endpoint", http_endpoint(vigil_main), "--region", "ap-guangzhou",
                   "--secretId", account_a.secret_id, "--secretKey", account_a.secret_key)
    assert all(isinstance(out[k], int) for k in ("Total", "Used", "Available")), out
    assert out["RequestId"]


def test_site_lifecycle_with_env_credentials(tccli, cli_env, vigil_main, account_a, new_url):
    env = dict(cli_env, TENCENTCLOUD_SECRET_ID=account_a.secret_id,
               TENCENTCLOUD_SECRET_KEY=account_a.secret_key)
    common = ("--endpoint", http_endpoint(vigil_main))
    url = new_url()

    created = run_json(tccli, env, "cws", "CreateSites", "--Urls", json.dumps([url]), *common)
    assert created["Number"] == 1 and created["Sites"][0]["Url"] == url, created
    site_id = created["Sites"][0]["SiteId"]
    try:
        run_json(tccli, env, "cws", "ModifySiteAttribute", "--SiteId", str(site_id),
                 "--Name", "via tccli", "--NeedLogin", "-1", *common)
        described = run_json(tccli, env, "cws", "DescribeSites",
                             "--SiteIds", json.dumps([site_id]), *common)
        assert described["TotalCount"] == 1
        site = described["Sites"][0]
        assert (site["Id"], site["Url"], site["Name"], site["NeedLogin"]) == (
            site_id, url, "via tccli", -1)
    finally:
        deleted = run_json(tccli, env, "cws", "DeleteSites",
                           "--SiteIds", json.dumps([site_id]), *common)
    assert set(deleted) == {"RequestId"}, deleted
    gone = run_json(tccli, env, "cws", "DescribeSites", "--SiteIds", json.dumps([site_id]),
                    *common)
    assert gone["TotalCount"] == 0


def test_configured_profile_unfolded_arguments_and_filter(tccli, cli_env, vigil_main, account_a,
                                                          client_a, sites, new_url):
    """`tccli configure set` with cws.endpoint pointing at vigil; arguments given
    in unfolded form (--SiteIds 1 2) and the output reduced by --filter."""
    ids = [s["SiteId"] for s in sites.create(client_a, [new_url(), new_url()])]
    res = run(tccli, cli_env, "configure", "set", "secretId", account_a.secret_id,
              "secretKey", account_a.secret_key, "region", "ap-guangzhou", "--profile", "vigil")
    assert res.returncode == 0, res.stderr
    res = run(tccli, cli_env, "configure", "set", "cws.endpoint", http_endpoint(vigil_main),
              "--profile", "vigil")
    assert res.returncode == 0, res.stderr

    count = run_json(tccli, cli_env, "cws", "DescribeSites", "--profile", "vigil",
                     "--cli-unfold-argument", "--SiteIds", *map(str, ids),
                     "--filter", "TotalCount")
    assert count == 2


def test_wrong_secret_key_reports_signature_failure(tccli, cli_env, vigil_main, account_a):
    res = run(tccli, cli_env, "cws", "DescribeSites", "--endpoint", http_endpoint(vigil_main),
              "--region", "ap-guangzhou", "--secretId", account_a.secret_id,
              "--secretKey", "wrong" + account_a.secret_key)
    assert res.returncode != 0, res.stdout
    assert "code:AuthFailure.SignatureFailure" in res.stderr, res.stderr


def test_unknown_secret_id_reports_secret_id_not_found(tccli, cli_env, vigil_main):
    res = run(tccli, cli_env, "cws", "DescribeSiteQuota", "--endpoint", http_endpoint(vigil_main),
              "--region", "ap-guangzhou", "--secretId", "AKIDcompatunknown0000000000000000",
              "--secretKey", "whatever")
    assert res.returncode != 0, res.stdout
    assert "code:AuthFailure.SecretIdNotFound" in res.stderr, res.stderr


def test_endpoint_without_scheme_means_https(tccli, cli_env, vigil_main, account_a):
    """Documents the quirk: without `http://` tccli opens TLS to the plain-http
    port and fails on the client side; vigil must shrug off the ClientHello."""
    res = run(tccli, cli_env, "cws", "DescribeSiteQuota", "--endpoint", vigil_main.endpoint,
              "--region", "ap-guangzhou", "--secretId", account_a.secret_id,
              "--secretKey", account_a.secret_key, "--timeout", "10")
    assert res.returncode != 0, res.stdout
    assert "ClientNetworkError" in res.stderr, res.stderr
    assert vigil_main.is_healthy(), "vigil stopped answering after a TLS ClientHello"
