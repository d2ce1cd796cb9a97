"""Drive vigil with the official tencentcloud-sdk-python (CommonClient and the
typed CwsClient) and check it behaves like Tencent Cloud API 3.0, CWS 2018-03-12."""

import concurrent.futures
import json
import threading
import time
import urllib.parse
import urllib.request
import uuid
import warnings
from pathlib import Path

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
    TencentCloudSDKException,
)
from tencentcloud.cws.v20180312 import models

from conftest import free_loopback_port

# Ways the SDK can sign and send a request.  TC3 POST (JSON body) is the
# default; the others put flattened parameters (SiteIds.0=1) into a query
# string or a form body.
SIGNINGS = [
    pytest.param(("TC3-HMAC-SHA256", "POST"), id="tc3-post-json"),
    pytest.param(("TC3-HMAC-SHA256", "GET"), id="tc3-get-query"),
    pytest.param(("HmacSHA256", "GET"), id="v1-sha256-get"),
    pytest.param(("HmacSHA256", "POST"), id="v1-sha256-post-form"),
    pytest.param(("HmacSHA1", "GET"), id="v1-sha1-get"),
    pytest.param(("HmacSHA1", "POST"), id="v1-sha1-post-form"),
]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def call(client, action, params=None):
    """Call an action through the SDK and return the inside of "Response"."""
    body = client.call_json(action, params or {})
    assert set(body) == {"Response"}, body
    resp = body["Response"]
    assert "Error" not in resp, resp
    assert_request_id(resp.get("RequestId"))
    return resp


def assert_request_id(value):
    assert isinstance(value, str) and value, "RequestId missing: %r" % (value,)
    uuid.UUID(value)  # raises if it is not a UUID


def expect_error(client, action, params, code=None, prefix=None, one_of=None):
    """Call and expect an API error envelope; return the SDK exception.

    The exception must come from the server's error envelope (so it carries
    a RequestId), not from a transport failure or a non-200 status, which the
    SDK reports as ClientNetworkError / ServerNetworkError."""
    with pytest.raises(TencentCloudSDKException) as info:
        client.call_json(action, params)
    exc = info.value
    got = exc.get_code()
    assert got not in ("ClientNetworkError", "ServerNetworkError"), str(exc)
    assert_request_id(exc.get_request_id())
    assert exc.get_message(), "error without a Message: %s" % exc
    if code is not None:
        assert got == code, str(exc)
    if prefix is not None:
        assert str(got).startswith(prefix), str(exc)
    if one_of is not None:
        assert got in one_of, str(exc)
    return exc


def assert_not_found(exc):
    code = exc.get_code()
    print("not-found code: %s (%s)" % (code, exc.get_message()))
    assert code.startswith("ResourceNotFound") or code == "InvalidParameter.NotFound", str(exc)


def describe(client, **params):
    return call(client, "DescribeSites", params)


def get_site(client, site_id):
    resp = describe(client, SiteIds=[site_id])
    assert resp["TotalCount"] == 1, resp
    (site,) = resp["Sites"]
    assert site["Id"] == site_id
    return site


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------
# envelope and transport
# --------------------------------------------------------------------------

def test_success_and_error_responses_are_http_200_application_json(client_a):
    """The SDK only recognises an error envelope when Content-Type is exactly
    `application/json` (or `text/plain`): with `application/json;
    charset=utf-8` every error would be silently returned as a success.  And
    any status other than 200 becomes ServerNetworkError."""
    for action in ("DescribeSiteQuota", "NoSuchAction"):
        resp = client_a._call(action, {})
        assert resp.status_code == 200, (action, resp.status_code, resp.text)
        assert resp.headers.get("Content-Type") == "application/json", (
            action, resp.headers.get("Content-Type"))


def test_describe_site_quota(client_a):
    resp = call(client_a, "DescribeSiteQuota")
    for key in ("Total", "Used", "Available"):
        assert is_int(resp[key]) and resp[key] >= 0, resp
    assert resp["Used"] + resp["Available"] == resp["Total"], resp


# --------------------------------------------------------------------------
# sites: create / describe / modify / delete
# --------------------------------------------------------------------------

def test_create_sites_returns_id_per_url(client_a, sites, new_url):
    urls = [new_url(), new_url()]
    resp = call(client_a, "CreateSites", {"Urls": urls})
    for site in resp.get("Sites") or []:
        sites.created.append((client_a, site["SiteId"]))
    assert resp["Number"] == 2, resp
    assert [s["Url"] for s in resp["Sites"]] == urls
    ids = [s["SiteId"] for s in resp["Sites"]]
    assert all(is_int(i) and i > 0 for i in ids), ids
    assert len(set(ids)) == 2


def test_describe_sites_shows_created_site(client_a, account_a, sites, new_url):
    url = new_url()
    site_id = sites.create_one(client_a, url)
    site = get_site(client_a, site_id)
    assert site["Url"] == url
    assert isinstance(site["Name"], str)
    assert site["VerifyStatus"] == 0, "a fresh loopback site must start unverified"
    assert isinstance(site["CreatedAt"], str) and site["CreatedAt"]
    assert isinstance(site["UpdatedAt"], str) and site["UpdatedAt"]
    assert is_int(site["Appid"]) and site["Appid"] == int(account_a.app_id), site
    assert isinstance(site["Uin"], str) and site["Uin"] == str(account_a.uin), site


def test_describe_sites_lists_all_sites_of_account(client_a, sites, new_url):
    ids = {site["SiteId"] for site in sites.create(client_a, [new_url(), new_url()])}
    resp = describe(client_a, Limit=100)
    listed = {site["Id"] for site in resp["Sites"]}
    assert ids <= listed, (ids, listed)
    assert resp["TotalCount"] >= len(listed)


def test_describe_sites_paginates(client_a, sites, new_url):
    ids = [s["SiteId"] for s in sites.create(client_a, [new_url() for _ in range(3)])]
    first = describe(client_a, SiteIds=ids, Offset=0, Limit=2)
    second = describe(client_a, SiteIds=ids, Offset=2, Limit=2)
    assert first["TotalCount"] == second["TotalCount"] == 3
    assert len(first["Sites"]) == 2 and len(second["Sites"]) == 1
    assert sorted(s["Id"] for s in first["Sites"] + second["Sites"]) == sorted(ids)


def test_describe_sites_default_limit_is_10(client_a, sites, new_url):
    ids = [s["SiteId"] for s in sites.create(client_a, [new_url() for _ in range(11)])]
    resp = describe(client_a, SiteIds=ids)
    assert resp["TotalCount"] == 11
    assert len(resp["Sites"]) == 10


@pytest.mark.parametrize("limit", [0, 101, 1000])
def test_describe_sites_rejects_limit_out_of_range(client_a, limit):
    expect_error(client_a, "DescribeSites", {"Limit": limit}, code="InvalidParameterValue")


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/",
    "not a url",
    "javascript:alert(1)",
    "",
    "http://",
])
def test_create_sites_rejects_non_http_urls(client_a, sites, url):
    exc = expect_error(client_a, "CreateSites", {"Urls": [url]}, code="InvalidParameterValue")
    print("CreateSites %r -> %s" % (url, exc))


def test_create_sites_rejects_duplicate_of_same_account(client_a, sites, new_url):
    url = new_url()
    sites.create_one(client_a, url)
    exc = expect_error(client_a, "CreateSites", {"Urls": [url]}, prefix="InvalidParameter")
    print("duplicate site -> %s" % exc)


def test_modify_site_attribute_round_trips(client_a, sites, new_url):
    site_id = sites.create_one(client_a, new_url())
    changes = {
        "Name": "compat site & co=1 站点",
        "NeedLogin": 1,
        "LoginCookie": "session=abc; theme=dark",
        "LoginCheckUrl": "http://127.77.255.1:9/account",
        "LoginCheckKw": "Logout",
        "ScanDisallow": "/admin;/logout",
    }
    resp = call(client_a, "ModifySiteAttribute", dict(changes, SiteId=site_id))
    assert set(resp) == {"RequestId"}, resp
    site = get_site(client_a, site_id)
    for key in ("Name", "NeedLogin", "ScanDisallow"):
        assert site[key] == changes[key], (key, site)
    # The login cookie is kept sealed; answers show its names only.
    assert site["LoginCookie"] == "session=<redacted>; theme=<redacted>", site

    call(client_a, "ModifySiteAttribute", {"SiteId": site_id, "NeedLogin": -1})
    site = get_site(client_a, site_id)
    assert site["NeedLogin"] == -1
    assert site["Name"] == changes["Name"], "fields not sent must stay unchanged"


def test_modify_site_attribute_rejects_bad_need_login(client_a, sites, new_url):
    site_id = sites.create_one(client_a, new_url())
    expect_error(client_a, "ModifySiteAttribute", {"SiteId": site_id, "NeedLogin": 5},
                 code="InvalidParameterValue")
    assert get_site(client_a, site_id)["NeedLogin"] != 5


def test_delete_sites(client_a, sites, new_url):
    site_id = sites.create_one(client_a, new_url())
    resp = call(client_a, "DeleteSites", {"SiteIds": [site_id]})
    assert set(resp) == {"RequestId"}, resp
    assert describe(client_a, SiteIds=[site_id])["TotalCount"] == 0
    assert_not_found(expect_error(client_a, "DeleteSites", {"SiteIds": [site_id]}))


def test_delete_unknown_site_is_not_found(client_a):
    assert_not_found(expect_error(client_a, "DeleteSites", {"SiteIds": [987654321]}))


def test_modify_unknown_site_is_not_found(client_a):
    assert_not_found(expect_error(client_a, "ModifySiteAttribute",
                                  {"SiteId": 987654321, "Name": "x"}))


# --------------------------------------------------------------------------
# every signing method / request method the SDK offers
# --------------------------------------------------------------------------

@pytest.mark.parametrize("signing", SIGNINGS)
def test_site_lifecycle_with_each_signature(vigil_main, account_a, client_for, new_url,
                                            signing, sites):
    sign_method, req_method = signing
    client = client_for(vigil_main, account_a, sign_method=sign_method, req_method=req_method)
    urls = [new_url(), new_url()]  # Urls.0 / Urls.1 when flattened
    created = call(client, "CreateSites", {"Urls": urls})
    ids = [s["SiteId"] for s in created["Sites"]]
    sites.created.extend((client, i) for i in ids)
    assert created["Number"] == 2 and [s["Url"] for s in created["Sites"]] == urls

    # spaces, '&', '=', '+', '%' and non-ASCII must survive url-encoding and
    # the v1 signing string (which is built from the *decoded* values)
    name = "a b&c=d+e%20f 站点"
    call(client, "ModifySiteAttribute", {"SiteId": ids[0], "Name": name})
    resp = describe(client, SiteIds=ids, Limit=10)
    assert resp["TotalCount"] == 2
    assert {s["Id"]: s["Name"] for s in resp["Sites"]}[ids[0]] == name

    call(client, "DeleteSites", {"SiteIds": ids})
    assert describe(client, SiteIds=ids)["TotalCount"] == 0


@pytest.mark.parametrize("signing", SIGNINGS)
def test_wrong_secret_key_is_rejected_with_each_signature(vigil_main, account_a, client_for,
                                                          signing):
    sign_method, req_method = signing
    client = client_for(vigil_main, account_a, sign_method=sign_method,
                        req_method=req_method, secret_key="x" + account_a.secret_key[1:] + "x")
    expect_error(client, "DescribeSites", {}, code="AuthFailure.SignatureFailure")


# --------------------------------------------------------------------------
# error codes
# --------------------------------------------------------------------------

def test_unknown_action(client_a):
    expect_error(client_a, "DescribeNothingAtAll", {}, code="InvalidAction")


def test_unknown_secret_id(vigil_main, account_a, client_for):
    client = client_for(vigil_main, account_a, secret_id="AKID" + uuid.uuid4().hex)
    expect_error(client, "DescribeSites", {}, code="AuthFailure.SecretIdNotFound")


def test_unknown_parameter(client_a):
    expect_error(client_a, "DescribeSites", {"Foo": 1}, code="UnknownParameter")


def test_missing_required_parameter(client_a):
    expect_error(client_a, "CreateSites", {}, code="MissingParameter")


def test_wrongly_typed_parameter(client_a):
    exc = expect_error(client_a, "DescribeSites", {"Limit": "abc"}, prefix="InvalidParameter")
    print("Limit='abc' -> %s" % exc)


def test_unsupported_version(vigil_main, account_a, client_for):
    client = client_for(vigil_main, account_a, version="2017-01-01")
    exc = expect_error(client, "DescribeSites", {})
    print("Version 2017-01-01 -> %s" % exc)


def test_unsigned_request_gets_auth_failure_envelope(vigil_main):
    """A plain POST without Authorization still gets the standard envelope."""
    req = urllib.request.Request(
        vigil_main.base_url + "/", data=b"{}", method="POST",
        headers={"Content-Type": "application/json", "X-TC-Action": "DescribeSites",
                 "X-TC-Version": "2018-03-12", "X-TC-Region": "ap-guangzhou",
                 "X-TC-Timestamp": str(int(time.time()))})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        assert resp.status == 200
        body = json.loads(resp.read())
    error = body["Response"]["Error"]
    assert error["Code"].startswith("AuthFailure"), body
    assert_request_id(body["Response"]["RequestId"])


# --------------------------------------------------------------------------
# tenant isolation
# --------------------------------------------------------------------------

def test_accounts_cannot_see_or_touch_each_others_sites(client_a, client_b, sites, new_url):
    url = new_url()
    a_id = sites.create_one(client_a, url)
    call(client_a, "ModifySiteAttribute", {"SiteId": a_id, "Name": "owned by A"})

    resp = describe(client_b, SiteIds=[a_id])
    assert resp["TotalCount"] == 0 and resp["Sites"] == [], resp
    b_listed = {s["Id"] for s in describe(client_b, Limit=100)["Sites"]}
    assert a_id not in b_listed

    assert_not_found(expect_error(client_b, "ModifySiteAttribute",
                                  {"SiteId": a_id, "Name": "stolen by B"}))
    assert_not_found(expect_error(client_b, "DeleteSites", {"SiteIds": [a_id]}))

    site = get_site(client_a, a_id)
    assert site["Name"] == "owned by A"
    assert site["Url"] == url


def test_same_url_may_belong_to_two_accounts(client_a, client_b, sites, new_url):
    url = new_url()
    a_id = sites.create_one(client_a, url)
    b_id = sites.create_one(client_b, url)
    assert a_id != b_id
    assert get_site(client_b, b_id)["Url"] == url


# --------------------------------------------------------------------------
# ownership verification
# --------------------------------------------------------------------------

def place_file(root, verify_url, content):
    path = urllib.parse.unquote(urllib.parse.urlparse(verify_url).path)
    target = (Path(root) / path.lstrip("/")).resolve()
    assert Path(root).resolve() in target.parents, "VerifyUrl escapes the site: %s" % verify_url
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    return path


def csip_client(server, account):
    from tencentcloud.csip.v20221121 import csip_client as csip
    from tencentcloud.common import credential
    from conftest import make_profile
    return csip.CsipClient(credential.Credential(account.secret_id, account.secret_key),
                           "ap-guangzhou", make_profile(server))


def csip_task(client, host):
    return client.call_json("CreateRiskCenterScanTask", {
        "TaskName": "proof", "ScanAssetType": 3, "SelfDefiningAssets": [host],
        "ScanItem": ["port"], "ScanPlanType": 0, "ScanPlanContent": "0 0 3 * * ? *",
        "TaskMode": 1})["Response"]


def test_file_based_ownership_verification(vigil_main, client_for, account_a, client_a, sites,
                                           public_host, tmp_path):
    """A token file proves the site it is served on (scheme, host, port); only one on the
    host's default port (or a TXT record) proves the whole host, which CSIP's host checks
    need."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<h1>compat</h1>")
    log = public_host.serve(8080, root)
    site_url = "http://%s:8080/" % public_host.ip
    site_id = sites.create_one(client_a, site_url)
    assert get_site(client_a, site_id)["VerifyStatus"] == 0

    resp = call(client_a, "DescribeSitesVerification", {"Urls": [site_url]})
    assert resp["TotalCount"] == 1, resp
    (v,) = resp["SitesVerification"]
    for key in ("Domain", "TxtName", "TxtText", "ValidTo", "CreatedAt", "UpdatedAt",
                "VerifyUrl", "VerifyFileUrl"):
        assert isinstance(v[key], str), (key, v)
    assert v["TxtText"], v
    assert v["VerifyStatus"] == 0
    assert is_int(v["Id"]) and v["Appid"] == int(account_a.app_id), v
    verify = urllib.parse.urlparse(v["VerifyUrl"])
    assert (verify.scheme, verify.netloc) == ("http", "%s:8080" % public_host.ip), v

    # 1. nothing at VerifyUrl yet (404)
    resp = call(client_a, "VerifySites", {"Urls": [site_url]})
    assert (resp["SuccessNumber"], resp["FailNumber"]) == (0, 1), resp
    assert get_site(client_a, site_id)["VerifyStatus"] == 0

    # 2. a file with the wrong token
    path = place_file(root, v["VerifyUrl"], "not-the-token\n")
    resp = call(client_a, "VerifySites", {"Urls": [site_url]})
    assert (resp["SuccessNumber"], resp["FailNumber"]) == (0, 1), resp
    assert get_site(client_a, site_id)["VerifyStatus"] == 0

    # 3. the right token, on port 8080: that site is verified ...
    place_file(root, v["VerifyUrl"], v["TxtText"] + "\n")
    resp = call(client_a, "VerifySites", {"Urls": [site_url]})
    assert (resp["SuccessNumber"], resp["FailNumber"]) == (1, 0), resp
    assert get_site(client_a, site_id)["VerifyStatus"] == 1
    resp = call(client_a, "DescribeSitesVerification", {"Urls": [site_url]})
    assert resp["SitesVerification"][0]["VerifyStatus"] == 1
    fetched = [line.split("?")[0] for line in log.read_text().splitlines()]
    assert fetched.count(path) >= 3, "vigil did not fetch %s each time: %s" % (path, fetched)

    # ... but not another port of the host, nor the host for CSIP's checks.
    other_id = sites.create_one(client_a, "http://%s:8081/" % public_host.ip)
    assert get_site(client_a, other_id)["VerifyStatus"] == 0
    csip = csip_client(vigil_main, account_a)
    r = csip_task(csip, public_host.ip)
    assert r["Status"] == -1 and r["UnAuthAsset"] == [public_host.ip], r

    # 4. the same file on the default port proves the whole host.
    public_host.serve(80, root)
    host_site = sites.create_one(client_a, "http://%s/" % public_host.ip)
    resp = call(client_a, "VerifySites", {"Urls": ["http://%s/" % public_host.ip]})
    assert (resp["SuccessNumber"], resp["FailNumber"]) == (1, 0), resp
    assert get_site(client_a, host_site)["VerifyStatus"] == 1
    assert get_site(client_a, other_id)["VerifyStatus"] == 1
    r = csip_task(csip, public_host.ip)
    assert r["Status"] == 0 and r["TaskId"], r
    call(csip, "DeleteRiskScanTask", {"TaskIdList": [{"TaskId": r["TaskId"]}]})


def test_operator_scope_sites_are_verified_automatically(vigil_scoped, client_for, sites):
    account = vigil_scoped.accounts["compat"]
    client = client_for(vigil_scoped, account)
    port = free_loopback_port()
    in_scope = sites.create_one(client, "http://127.0.0.2:%d/" % port)
    assert get_site(client, in_scope)["VerifyStatus"] == 1

    # Control: a host outside the operator scope is never auto-verified.  With
    # --scope-allow set vigil may refuse such a site outright (only the allowed
    # scope is reachable); if it accepts it, the site must start unverified.
    try:
        out_of_scope = sites.create_one(client, "http://127.0.0.3:%d/" % port)
    except TencentCloudSDKException as exc:
        print("out-of-scope site refused: %s" % exc)
        assert exc.get_code() in ("UnauthorizedOperation", "InvalidParameterValue"), str(exc)
    else:
        assert get_site(client, out_of_scope)["VerifyStatus"] == 0


# --------------------------------------------------------------------------
# typed client: our responses must deserialize into the SDK's models
# --------------------------------------------------------------------------

def test_typed_client_models(vigil_main, account_a, client_for, new_url):
    client = client_for(vigil_main, account_a, typed=True)
    url = new_url()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")

        req = models.CreateSitesRequest()
        req.Urls = [url]
        created = client.CreateSites(req)
        assert created.Number == 1
        (mini,) = created.Sites
        assert isinstance(mini, models.MiniSite) and mini.Url == url and is_int(mini.SiteId)
        assert_request_id(created.RequestId)

        try:
            req = models.ModifySiteAttributeRequest()
            req.SiteId, req.Name, req.NeedLogin = mini.SiteId, "typed", -1
            assert_request_id(client.ModifySiteAttribute(req).RequestId)

            req = models.DescribeSitesRequest()
            req.SiteIds, req.Limit = [mini.SiteId], 10
            described = client.DescribeSites(req)
            assert described.TotalCount == 1
            (site,) = described.Sites
            assert isinstance(site, models.Site)
            assert (site.Id, site.Url, site.Name, site.NeedLogin) == (mini.SiteId, url, "typed", -1)
            assert site.VerifyStatus == 0 and site.Appid == int(account_a.app_id)
            assert isinstance(site.CreatedAt, str) and isinstance(site.Uin, str)

            quota = client.DescribeSiteQuota(models.DescribeSiteQuotaRequest())
            assert all(is_int(x) for x in (quota.Total, quota.Used, quota.Available))

            req = models.DescribeSitesVerificationRequest()
            req.Urls = [url]
            verification = client.DescribeSitesVerification(req)
            assert verification.TotalCount == 1
            (v,) = verification.SitesVerification
            assert isinstance(v, models.SitesVerification) and v.TxtText and v.VerifyUrl

            req = models.VerifySitesRequest()
            req.Urls = [url]  # nothing listens on 127.77.x.y:9 -> fails fast
            verified = client.VerifySites(req)
            assert (verified.SuccessNumber, verified.FailNumber) == (0, 1)
        finally:
            req = models.DeleteSitesRequest()
            req.SiteIds = [mini.SiteId]
            assert_request_id(client.DeleteSites(req).RequestId)

        # typed client raises the same structured errors
        req = models.DescribeSitesRequest()
        req.Limit = 1000
        with pytest.raises(TencentCloudSDKException) as info:
            client.DescribeSites(req)
        assert info.value.get_code() == "InvalidParameterValue"

    useless = [str(w.message) for w in caught if "useless" in str(w.message)]
    assert not useless, "response fields unknown to the SDK models: %s" % useless


# --------------------------------------------------------------------------
# rate limiting (runs last in this module; uses its own account)
# --------------------------------------------------------------------------

BURST_CALLS = 60
BURST_WORKERS = 4


def test_burst_is_rate_limited_per_account_and_action(vigil_main, account_burst, account_b,
                                                      client_for):
    local = threading.local()

    def one_call(_):
        if not hasattr(local, "client"):
            local.client = client_for(vigil_main, account_burst, retry=False)
        try:
            local.client.call_json("DescribeSites", {"Limit": 1})
            return "ok"
        except TencentCloudSDKException as exc:
            return exc.get_code()

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(BURST_WORKERS) as pool:
        results = list(pool.map(one_call, range(BURST_CALLS), timeout=30))
    elapsed = time.monotonic() - started

    # straight after the burst, other actions and other accounts are not limited
    call(client_for(vigil_main, account_burst, retry=False), "DescribeSiteQuota")
    call(client_for(vigil_main, account_b, retry=False), "DescribeSites", {"Limit": 1})

    counts = {code: results.count(code) for code in set(results)}
    print("burst of %d calls in %.2fs: %s" % (BURST_CALLS, elapsed, counts))
    assert counts.get("RequestLimitExceeded", 0) >= 1, (
        "no RequestLimitExceeded in %d calls over %.2fs: %s" % (BURST_CALLS, elapsed, counts))
    assert 1 <= counts.get("ok", 0) < BURST_CALLS, counts
    assert set(counts) <= {"ok", "RequestLimitExceeded"}, counts

    time.sleep(1.5)  # the window has passed: the account is served again
    call(client_for(vigil_main, account_burst, retry=False), "DescribeSites", {"Limit": 1})
