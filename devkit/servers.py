"""Real servers for tests: the WeChat sandbox on a thread, the app under gunicorn in a subprocess."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

from devkit.sandbox import SandboxState, ShopsStore, create_sandbox
from devkit.sandbox.wechatpay import PayState

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the child processes of `pid` have used so far: the live ones
    and those it has reaped (a gunicorn master's workers, a restarted one included)."""

    def stat(process) -> list[str]:
        return Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()

    master = stat(pid)
    total = int(master[13]) + int(master[14])  # cutime, cstime: reaped children
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        fields = stat(child)
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


class SandboxServer:
    """The WeChat sandbox served over real HTTP on a free port, in a background thread; with
    `pay_keys` (a directory, where keys are made when missing) it also stands in for WeChat Pay."""

    def __init__(self, pay_keys: Path | None = None):
        self.pay_keys = pay_keys
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._serve()

    def _serve(self) -> None:
        """A sandbox knowing nothing yet, as a process just started (WeChat Pay's keys kept)."""
        self.state = SandboxState(pay=PayState(self.pay_keys) if self.pay_keys else None)
        self.shops = ShopsStore()  # the platforms' orders, write-backs and stock
        self._server = make_server(
            "127.0.0.1", self.port, create_sandbox(self.state, self.shops), threaded=True
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def restart(self) -> SandboxServer:
        """Stopped and started again on the same port: everything it held in memory is gone."""
        self.stop()
        self._serve()
        return self.start()

    def messages(self, **params) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/messages", params=params, timeout=5).json()[
            "items"
        ]

    def sms(self, **params) -> list[dict]:
        return requests.get(f"{self.url}/_sandbox/sms", params=params, timeout=5).json()["items"]

    def stats(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/stats", timeout=5).json()

    def faults(self, **body) -> None:
        requests.post(f"{self.url}/_sandbox/faults", json=body, timeout=5).raise_for_status()


class Gunicorn:
    """The app under gunicorn (several worker processes), on the tests' database and sandbox."""

    def __init__(
        self,
        env: dict,
        workers: int = 3,
        threads: int = 4,
        *,
        target: str = "app:create_app()",
        config: str | None = None,
        log_file: Path | None = None,
    ):
        """`config`: a gunicorn.conf.py whose settings replace the workers and threads given;
        `log_file`: where the server's stderr (the app's log) goes, to read it afterwards."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        # Links the app sends out (OAuth's redirect_uri, invitations) name this server.
        self.env.setdefault("PUBLIC_BASE_URL", self.url)
        self.workers = workers
        self.threads = threads
        self.target = target
        self.config = config
        self.log_file = log_file
        self.process = None

    def start(self, timeout: float = 90, ready_codes: tuple[int, ...] = (200,)) -> Gunicorn:
        """Start and wait until /healthz answers one of `ready_codes` (503: database down)."""
        if self.config:
            sizing = ["--config", self.config]
        else:
            sizing = [
                "--config",
                str(ROOT / "devkit/gunicorn_flags_only.py"),
                "--workers",
                str(self.workers),
            ]
            sizing += ["--threads", str(self.threads), "--worker-class", "gthread"]
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                *sizing,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                self.target,
            ],
            cwd=ROOT,
            env=self.env,
            stderr=self.log_file.open("ab") if self.log_file else None,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code in ready_codes:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not become ready")

    def _worker_pids(self) -> list[str]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return children.read_text().split()

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) the worker processes have used so far, those a restart
        (max_requests) ended included: the master holds their time once it has reaped them."""
        return children_cpu_seconds(self.process.pid)

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker process (the master's children), in MiB."""
        sizes = []
        for pid in self._worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


class RedisServer:
    """A redis-server of our own on a free port, to stop and start under a running app."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self, timeout: float = 10) -> RedisServer:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
