"""Vigil's machine-read reports checked against the official schemas and validators: SARIF
2.1.0 against the OASIS JSON schema (vendored in schemas/, with every format the schema names
checked, URI references included), CycloneDX 1.5 with the CycloneDX project's
`JsonStrictValidator`, SPDX 2.3 with the SPDX project's parser and validator (no validation
message at all).

Both kinds of output are checked: fresh ones, from `vigil scan image` on an image built here
(a Debian base with dpkg packages, Python `requests` 2.19.1 with its real PyPA advisories, an
npm scoped package, a Maven jar, the EICAR file under a name with a space and `#`, a Tencent
Cloud key), and the golden files of crates/vigil-report/tests/golden/, which show every kind of
finding.

Nothing here uses the network."""

import io
import json
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from images import docker_archive, eicar, metadata

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHARED = REPO.parent / "shared"
GOLDEN = REPO / "crates" / "vigil-report" / "tests" / "golden"
SARIF_SCHEMA = HERE / "schemas" / "sarif-schema-2.1.0.json"
SECRET_KEY = "q3W8e5R1t7Y2u9I4o6P0a8S3d5F1g7H2"
ODD_NAME = "srv/upload/test file #1.com"


# --------------------------------------------------------------------------
# Validators: each returns a list of readable problems, empty when the document is valid.

def sarif_errors(doc):
    schema = json.loads(SARIF_SCHEMA.read_text())
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    return ["/%s: %s" % ("/".join(map(str, e.absolute_path)), e.message)
            for e in validator.iter_errors(doc)]


def cyclonedx_errors(text):
    errors = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text, all_errors=True)
    problems = ["/%s: %s" % ("/".join(map(str, e.data.absolute_path)), e.data.message)
                for e in errors or []]
    # What the schema cannot say: every reference names a component of the document.
    doc = json.loads(text)
    refs = {c["bom-ref"] for c in doc.get("components", [])}
    refs.add(doc["metadata"]["component"]["bom-ref"])
    for v in doc.get("vulnerabilities", []):
        problems += ["%s affects unknown %s" % (v["id"], a["ref"])
                     for a in v["affects"] if a["ref"] not in refs]
    return problems


def spdx_errors(path):
    document = parse_file(str(path))
    return ["%s (%s)" % (m.validation_message, m.context)
            for m in validate_full_spdx_document(document)]


# --------------------------------------------------------------------------
# A fresh scan

def jar(group, artifact, version):
    """A Java archive whose pom.properties names its Maven coordinates."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
        z.writestr("META-INF/maven/%s/%s/pom.properties" % (group, artifact),
                   "groupId=%s\nartifactId=%s\nversion=%s\n" % (group, artifact, version))
    return buf.getvalue()


def image_files():
    files = metadata("requests", "2.19.1")
    files.update({
        "etc/os-release": b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
                          b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        "var/lib/dpkg/status":
            b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n"
            b"Source: openssl\nVersion: 3.0.11-1~deb12u2\n\n"
            b"Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\n"
            b"Source: zlib\nVersion: 1:1.2.13.dfsg-1\n\n",
        "app/node_modules/@babel/core/package.json":
            json.dumps({"name": "@babel/core", "version": "7.23.2"}).encode(),
        "app/lib/log4j-core-2.14.1.jar": jar("org.apache.logging.log4j", "log4j-core", "2.14.1"),
        ODD_NAME: eicar(),
        "app/tencent.ini": ("SecretId = AKIDZ8k2Lq7Rt5Wx9Vb3Nm6Pc4Hd1Jf0Gs2Ya7Ke\nSecretKey = %s\n"
                            % SECRET_KEY).encode(),
    })
    return files


@pytest.fixture(scope="module")
def live(vigil_bin, tmp_path_factory):
    """`vigil scan image` of the image above in each machine-read format: {format: path}."""
    d = tmp_path_factory.mktemp("report-schemas")
    data = d / "data"
    run = lambda *a: subprocess.run([vigil_bin, *map(str, a)], check=True, capture_output=True,
                                    text=True, timeout=120)
    run("db", "import", SHARED / "vulndb" / "pypa", "--source", "pypa", "--data-dir", data)
    archive = d / "shop-web.tar"
    docker_archive(archive, image_files(), "shop/web:1.0")
    out = {}
    for fmt, name in (("json", "scan.json"), ("sarif", "scan.sarif"),
                      ("cyclonedx", "scan.cdx.json"), ("spdx", "scan.spdx.json")):
        res = run("scan", "image", "docker-archive:%s" % archive, "--data-dir", data,
                  "--format", fmt)
        out[fmt] = d / name
        out[fmt].write_text(res.stdout)
    return out


def test_live_scan_found_what_the_image_holds(live):
    report = json.loads(live["json"].read_text())
    kinds = sorted({f["kind"] for f in report["findings"]})
    assert kinds == ["image-risk", "image-virus", "image-vuln"], kinds
    cves = sorted(c for f in report["findings"] for c in f.get("cve", []))
    assert cves == ["CVE-2018-18074", "CVE-2023-32681"], cves
    names = {c["name"] for c in report["components"]}
    assert {"org.apache.logging.log4j:log4j-core", "@babel/core", "libssl3", "zlib1g",
            "requests"} <= names, names
    assert SECRET_KEY not in live["json"].read_text()


def test_live_sarif(live):
    doc = json.loads(live["sarif"].read_text())
    assert sarif_errors(doc) == []
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for r in doc["runs"][0]["results"] for loc in r["locations"]}
    # A file name with a space and `#` is a valid URI reference only percent-encoded.
    assert "/srv/upload/test%20file%20%231.com" in uris, uris


def test_live_cyclonedx(live):
    text = live["cyclonedx"].read_text()
    assert cyclonedx_errors(text) == []
    doc = json.loads(text)
    by_purl = {c.get("purl"): c for c in doc["components"]}
    log4j = by_purl["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"]
    assert (log4j["group"], log4j["name"]) == ("org.apache.logging.log4j", "log4j-core")
    babel = by_purl["pkg:npm/%40babel/core@7.23.2"]
    assert babel["name"] == "@babel/core" and "group" not in babel
    zlib = by_purl["pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"]
    assert (zlib["name"], zlib["version"]) == ("zlib1g", "1:1.2.13.dfsg-1")
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    assert sorted(vulns) == ["CVE-2018-18074", "CVE-2023-32681"]
    v = vulns["CVE-2018-18074"]
    assert {"id": "PYSEC-2018-28", "source": {"name": "PYSEC"}} in v["references"], v
    assert v["recommendation"] == "Upgrade to 2.20.0 or later."
    # The PyPA records carry no severity: "unknown", not "info".
    assert v["ratings"] == [{"severity": "unknown"}], v["ratings"]


def test_live_spdx(live):
    assert spdx_errors(live["spdx"]) == []
    doc = json.loads(live["spdx"].read_text())
    purls = {r["referenceLocator"] for p in doc["packages"] for r in p.get("externalRefs", [])}
    assert "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1" in purls, purls
    names = {p["name"] for p in doc["packages"]}
    assert {"org.apache.logging.log4j:log4j-core", "@babel/core", "zlib1g"} <= names, names


# --------------------------------------------------------------------------
# The golden files (one fixed report with every kind of finding)

def test_golden_sarif():
    assert sarif_errors(json.loads((GOLDEN / "report.sarif").read_text())) == []


def test_golden_cyclonedx():
    assert cyclonedx_errors((GOLDEN / "report.cdx.json").read_text()) == []


def test_golden_spdx():
    assert spdx_errors(GOLDEN / "report.spdx.json") == []


def test_validators_catch_violations(tmp_path):
    """The checks above would fail on broken documents (so their silence means something)."""
    sarif = json.loads((GOLDEN / "report.sarif").read_text())
    sarif["runs"][0]["results"][0]["locations"][0] = {
        "physicalLocation": {"artifactLocation": {"uri": "/a b"}}}
    sarif["runs"][0]["results"][1]["level"] = "fatal"
    assert len(sarif_errors(sarif)) == 2
    cdx = json.loads((GOLDEN / "report.cdx.json").read_text())
    cdx["vulnerabilities"][0]["advisories"] = [{"title": "no url"}]
    cdx["vulnerabilities"][0]["affects"] = [{"ref": "nothing"}]
    assert len(cyclonedx_errors(json.dumps(cdx))) == 2
    spdx = json.loads((GOLDEN / "report.spdx.json").read_text())
    spdx["relationships"].append({"spdxElementId": "SPDXRef-Target", "relationshipType": "CONTAINS",
                                  "relatedSpdxElement": "SPDXRef-Missing"})
    broken = tmp_path / "broken.spdx.json"
    broken.write_text(json.dumps(spdx))
    assert len(spdx_errors(broken)) == 1
