"""A real S3-compatible object store for tests and benchmarks: a one-node OpenStack Swift
(Debian's swift-proxy, -account, -container, -object and memcached, installed by the
Makefile's SYSTEM_PACKAGES) with the s3api middleware on a loopback port.

Everything lives in a temporary folder: swift.conf, the rings (built with
swift-ring-builder, one replica on one device), the device the object server writes to
(Swift keeps its metadata in xattrs: the folder's filesystem must have them, which
``start_swift`` checks first) and the servers' logs. The servers run under Debian's
/usr/bin/python3 through a short bootstrap that points Swift at this swift.conf instead
of /etc/swift's; tempauth knows one user, ``test:tester``, whose S3 access key is
``test:tester`` and secret ``testing``. Every process is stopped by its own pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from minio import Minio

ACCESS_KEY = "test:tester"
SECRET_KEY = "testing"
REGION = "us-east-1"
SYSTEM_PYTHON = "/usr/bin/python3"

# Swift reads /etc/swift/swift.conf when its modules are imported; this points it at ours.
_BOOTSTRAP = """\
import sys
import swift.common.utils as utils
utils.SWIFT_CONF_FILE = sys.argv[1]
from swift.common import constraints, storage_policy
storage_policy.reload_storage_policies()
constraints.reload_constraints()
from swift.common.wsgi import run_wsgi
sys.exit(run_wsgi(sys.argv[3], sys.argv[2], verbose=True))
"""


@dataclass(frozen=True)
class ObjectStore:
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    region: str = REGION
    # The store's server processes (memcached and Swift's four), for benchmarks' CPU counts.
    pids: tuple[int, ...] = ()

    def client(self) -> Minio:
        return Minio(
            self.endpoint.removeprefix("http://"),
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
        )

    def settings(self, bucket: str) -> dict[str, object]:
        """Settings of an API whose evidence lives in ``bucket`` of this store."""
        return {
            "evidence_store": "s3",
            "s3_endpoint": self.endpoint,
            "s3_bucket": bucket,
            "s3_access_key": self.access_key,
            "s3_secret_key": self.secret_key,
            "s3_region": self.region,
        }

    def environment(self, bucket: str) -> dict[str, str]:
        """The same as ACCIDENT_ONLINE_* variables, for processes of the service."""
        return {
            f"ACCIDENT_ONLINE_{name.upper()}": str(value)
            for name, value in self.settings(bucket).items()
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _check_xattrs(folder: Path) -> None:
    probe = folder / "xattr-probe"
    probe.touch()
    try:
        os.setxattr(probe, "user.swift.probe", b"1")
    except OSError as error:
        raise RuntimeError(f"{folder}: no user xattrs, which Swift needs ({error})") from error
    finally:
        probe.unlink()


def _server_conf(kind: str, port: int, devices: Path, swift_dir: Path, logs: Path) -> str:
    return f"""\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
devices = {devices}
mount_check = false
swift_dir = {swift_dir}
log_facility = LOG_LOCAL0
log_level = WARNING
log_name = {kind}
log_udp_host =
log_address = /nonexistent
disable_fallocate = true

[pipeline:main]
pipeline = {kind}-server

[app:{kind}-server]
use = egg:swift#{kind}

[{kind}-replicator]
[{kind}-updater]
[{kind}-auditor]
"""


def _proxy_conf(port: int, memcached: int, swift_dir: Path) -> str:
    return f"""\
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = {port}
workers = 0
swift_dir = {swift_dir}
log_level = WARNING
log_address = /nonexistent

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api
  tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
# A client that stops sending a PUT body for this long is given up on (60 s by default;
# tests/evidence/test_object_storage.py stalls an upload longer).
client_timeout = 5

[filter:s3api]
use = egg:swift#s3api
location = {REGION}

[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = {SECRET_KEY} .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:{memcached}

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
"""


def _wait_healthy(url: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                output = "\n".join(p.read_text()[-2000:] for p in logs.glob("*.log"))
                raise RuntimeError(f"a Swift server exited ({process.args}):\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (our http URL)
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Swift did not answer {url}")


@contextlib.contextmanager
def start_swift(folder: Path) -> Iterator[ObjectStore]:
    """A one-node Swift with its S3 API on 127.0.0.1, until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    devices = folder / "srv"
    (devices / "d1").mkdir(parents=True, exist_ok=True)
    _check_xattrs(devices / "d1")
    swift_dir = folder / "etc"
    swift_dir.mkdir(exist_ok=True)
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    swift_conf = swift_dir / "swift.conf"
    swift_conf.write_text(
        "[swift-hash]\nswift_hash_path_suffix = accident-online-tests\n"
        "swift_hash_path_prefix = accident-online\n\n"
        "[storage-policy:0]\nname = only\ndefault = yes\n"
    )
    bootstrap = folder / "bootstrap.py"
    bootstrap.write_text(_BOOTSTRAP)
    ports = {kind: _free_port() for kind in ("account", "container", "object")}
    for kind, port in ports.items():
        builder = str(swift_dir / f"{kind}.builder")
        for args in (
            ["create", "6", "1", "1"],
            ["add", f"r1z1-127.0.0.1:{port}/d1", "1"],
            ["rebalance"],
        ):
            subprocess.run(["swift-ring-builder", builder, *args], check=False, capture_output=True)
        if not (swift_dir / f"{kind}.ring.gz").is_file():
            raise RuntimeError(f"swift-ring-builder made no {kind} ring")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        memcached = _free_port()
        processes.append(
            subprocess.Popen(
                ["memcached", "-l", "127.0.0.1", "-p", str(memcached), "-U", "0", "-u", "root"],
                stdout=subprocess.DEVNULL,
                stderr=(logs / "memcached.log").open("wb"),
            )
        )
        confs = {
            kind: _server_conf(kind, port, devices, swift_dir, logs) for kind, port in ports.items()
        }
        proxy_port = _free_port()
        confs["proxy"] = _proxy_conf(proxy_port, memcached, swift_dir)
        for kind, text in confs.items():
            conf = swift_dir / f"{kind}-server.conf"
            conf.write_text(text)
            processes.append(
                subprocess.Popen(
                    [SYSTEM_PYTHON, str(bootstrap), str(swift_conf), f"{kind}-server", str(conf)],
                    stdout=(logs / f"{kind}.log").open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        _wait_healthy(f"http://127.0.0.1:{proxy_port}/healthcheck", processes, logs)
        yield ObjectStore(
            endpoint=f"http://127.0.0.1:{proxy_port}", pids=tuple(p.pid for p in processes)
        )
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
