"""Small container images built in memory for the image tests: `docker save` archives of one
layer holding the files a test names, and the contents that make scanners find something
(Python package metadata, the EICAR test file)."""

import hashlib
import io
import json
import tarfile


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
    """A `docker save` archive of one layer; returns the image id."""
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
    """The dist-info METADATA of an installed Python package."""
    return {f"usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA":
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()}
