"""The production recipe (deploy/) started on this machine from Debian's packages, for
`make prod-check`: nginx with a self-signed certificate → two app nodes (gunicorn, as the
systemd unit starts it) → PgBouncer in transaction pooling → PostgreSQL, with a streaming
replica on a second port (pg_basebackup -R); Redis; two task workers, one of them running the
periodic tasks.

Everything listens on 127.0.0.1, on free high ports. The recipe's files are used as they are,
with only the site-specific values replaced (names, addresses, ports, paths, secrets); each
replaced value must still be in the file, so a recipe that changes shape fails the check rather
than leaving it testing something else. The check adds one thing of its own: an HTTPS port per
app node in front of that node alone, so a test can choose the node that answers.

Every process is a child of this one, in a session of its own, and is stopped by its id.
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import requests

from devkit.servers import ROOT

RECIPE = ROOT / "deploy"
ARTIFACTS = ROOT / "test-artifacts" / "prod-check"
RUN_PREFIX = "dm-prodcheck-"
IS_ROOT = os.geteuid() == 0
DB_NAME, DB_USER = "dealer_mall", "dealer_mall"


class RecipeDrift(RuntimeError):
    """The recipe no longer has a value the check replaces: update the check with the recipe."""


def render(path: Path, replacements: dict[str, str]) -> str:
    text = path.read_text()
    for old, new in replacements.items():
        if old not in text:
            raise RecipeDrift(f"{path.relative_to(ROOT)} no longer contains {old!r}")
        text = text.replace(old, new)
    return text


def env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines as systemd's EnvironmentFile reads them (comments, blank lines, quotes)."""
    values = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass
class Unit:
    """What a systemd unit of the recipe runs: its command, folder and environment."""

    command: list[str]
    environment: dict[str, str]

    @classmethod
    def read(cls, name: str, paths: dict[str, str]) -> Unit:
        text = (RECIPE / "systemd" / name).read_text()
        for old, new in paths.items():
            text = text.replace(old, new)
        (start,) = re.findall(r"^ExecStart=(.+)$", text, re.M)
        environment = dict(
            line.split("=", 1) for line in re.findall(r"^Environment=(.+)$", text, re.M)
        )
        return cls(shlex.split(start), environment)


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path = ROOT
    popen: subprocess.Popen | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> None:
        if not self.running:
            return
        self.signal_group(signum)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.popen.wait(5)

    def kill(self) -> None:
        """kill -9 of the whole process group (a node's gunicorn master and its workers)."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait(5)


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"prod-check: {what} did not come up within {timeout:.0f} s ({last})")


def program(name: str) -> str:
    """A Debian package's program, found on PATH."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError(f"prod-check needs {name}: apt-get install {PACKAGES.get(name, name)}")
    return found


PACKAGES = {"redis-server": "redis-server", "runuser": "util-linux"}


def output(command: list[str], failure: str, **kwargs) -> str:
    """What a command that must work prints; when it fails, a RuntimeError that says `failure`
    and all the command said."""
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{failure}:\n{result.stdout}{result.stderr}")
    return result.stdout


def as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root: as root, run them as `postgres`."""
    return [program("runuser"), "-u", "postgres", "--", *command] if IS_ROOT else command


def pg_bin(program: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    return str(versions[-1] / program)


@dataclass
class ProductionStack:
    sandbox_url: str
    run: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix=RUN_PREFIX)))
    processes: dict[str, Process] = field(default_factory=dict)

    def __post_init__(self):
        self.run.chmod(0o755)
        self.logs = self.run / "logs"
        self.logs.mkdir()
        names = (
            *("https", "http", "node_a", "node_b", "https_a", "https_b"),
            *("primary", "replica", "bouncer", "redis"),
        )
        self.port = dict(zip(names, _unused_ports(len(names)), strict=True))
        self.db_password = secrets.token_urlsafe(16)
        self.metrics_token = secrets.token_urlsafe(16)
        self.demo_password = secrets.token_urlsafe(12)
        self.admin_password = secrets.token_urlsafe(12)
        self.site = f"https://localhost:{self.port['https']}"
        self.node_site = {
            "a": f"https://localhost:{self.port['https_a']}",
            "b": f"https://localhost:{self.port['https_b']}",
        }
        self.node_url = {n: f"http://127.0.0.1:{self.port[f'node_{n}']}" for n in ("a", "b")}
        self.certificate = self.run / "tls" / "localhost.pem"

    # --- start ---------------------------------------------------------------------------------

    def start(self) -> ProductionStack:
        steps = [
            ("certificate", self._certificate),
            ("PostgreSQL primary", self._primary),
            ("streaming replica", self._replica),
            ("PgBouncer", self._pgbouncer),
            ("Redis", self._redis),
            ("first start-up: migrate, first admin, demo data", self._first_start),
            ("two app nodes", self._nodes),
            ("two task workers", self._workers),
            ("nginx", self._nginx),
        ]
        for what, step in steps:
            started = time.monotonic()
            step()
            print(f"prod-check: {what} ({time.monotonic() - started:.1f} s)", flush=True)
        return self

    def _spawn(self, name: str, command: list[str], env: dict | None = None, **kw) -> Process:
        process = Process(name, command, env or _base_env(), self.logs / f"{name}.log", **kw)
        self.processes[name] = process.start()
        (self.run / "pids").open("a").write(f"{process.popen.pid} {name}\n")
        return process

    def _certificate(self) -> None:
        self.certificate.parent.mkdir()
        subprocess.run(
            [program("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(self.certificate.with_suffix(".key")), "-out", str(self.certificate)],
            check=True, capture_output=True,
        )  # fmt: skip

    def _primary(self) -> None:
        pg = self.run / "pg"
        pg.mkdir(mode=0o700)
        if IS_ROOT:
            shutil.chown(pg, "postgres", "postgres")
        data = pg / "primary"
        subprocess.run(
            as_postgres([pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                         "--no-locale", "--auth-local=trust", "--auth-host=scram-sha-256"]),
            check=True, capture_output=True,
        )  # fmt: skip
        _append(
            data / "postgresql.conf",
            f"port = {self.port['primary']}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{pg}'\n"
            # A scratch cluster: durability is not what the check is about.
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = 32MB\nmax_connections = 100\nwal_level = replica\n",
        )
        (data / "pg_hba.conf").write_text(
            "local all all trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "host replication postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n",
        )
        self._spawn("postgresql-primary", as_postgres([pg_bin("postgres"), "-D", str(data)]))
        wait_for(lambda: self.superuser("primary").close() is None, "PostgreSQL")
        self.sql("primary", f"CREATE ROLE {DB_USER} LOGIN PASSWORD %s", (self.db_password,))
        self.sql("primary", f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")

    def superuser(self, which: str, database: str = "postgres"):
        """A connection to the primary or the replica as their superuser (autocommit)."""
        conn = psycopg2.connect(
            host="127.0.0.1", port=self.port[which], user="postgres", dbname=database
        )
        conn.autocommit = True
        return conn

    def sql(self, which: str, statement: str, params=(), database: str = "postgres") -> list:
        """One statement as the superuser; its rows, if it returns any."""
        conn = self.superuser(which, database)
        try:
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def _replica(self) -> None:
        data = self.run / "pg" / "replica"
        subprocess.run(
            as_postgres([pg_bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port["primary"]),
                         "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast"]),
            check=True, capture_output=True,
        )  # fmt: skip
        _append(data / "postgresql.conf", f"port = {self.port['replica']}\n")
        self.start_replica()

    def start_replica(self) -> None:
        data = self.run / "pg" / "replica"
        self._spawn("postgresql-replica", as_postgres([pg_bin("postgres"), "-D", str(data)]))
        wait_for(lambda: self.superuser("replica").close() is None, "the replica")

    def _pgbouncer(self) -> None:
        folder = self.run / "pgbouncer"
        folder.mkdir()
        ((scram,),) = self.sql(
            "primary", "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (DB_USER,)
        )
        (folder / "userlist.txt").write_text(f'"{DB_USER}" "{scram}"\n')
        ini = render(
            RECIPE / "pgbouncer" / "pgbouncer.ini",
            {
                "dealer_mall = host=10.0.0.21 port=5432": (
                    f"dealer_mall = host=127.0.0.1 port={self.port['primary']}"
                ),
                "listen_port = 6432": f"listen_port = {self.port['bouncer']}",
                "unix_socket_dir = /var/run/postgresql": "unix_socket_dir =",
                "auth_file = /etc/pgbouncer/userlist.txt": f"auth_file = {folder}/userlist.txt",
                "logfile = /var/log/postgresql/pgbouncer.log": f"logfile = {folder}/pgbouncer.log",
                "pidfile = /var/run/postgresql/pgbouncer.pid": f"pidfile = {folder}/pgbouncer.pid",
            },
        )
        (folder / "pgbouncer.ini").write_text(ini)
        if IS_ROOT:
            for path in (folder, *folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        user = ["-u", "postgres"] if IS_ROOT else []
        self._spawn("pgbouncer", [program("pgbouncer"), *user, str(folder / "pgbouncer.ini")])
        wait_for(lambda: psycopg2.connect(self.env["DATABASE_URL"]).close() is None,
                 "PgBouncer")  # fmt: skip

    def _redis(self) -> None:
        self._spawn(
            "redis",
            [program("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port["redis"]),
             "--save", "", "--appendonly", "no"],
        )  # fmt: skip
        wait_for(lambda: _redis_ping(self.port["redis"]), "Redis")

    @functools.cached_property
    def env(self) -> dict[str, str]:
        """deploy/dealer-mall.env as this machine fills it in: each value the check sets must be
        a setting the template lists."""
        bouncer = f"127.0.0.1:{self.port['bouncer']}"
        credentials = f"{DB_USER}:{self.db_password}"
        template = env_file((RECIPE / "dealer-mall.env").read_text())
        ours = {
            "SECRET_KEY": secrets.token_urlsafe(48),
            "INSTANCE_DIR": f"{self.run}/instance",
            "UPLOAD_DIR": f"{self.run}/uploads",
            "DATABASE_URL": f"postgresql://{credentials}@{bouncer}/dealer_mall",
            "DIRECT_DATABASE_URL": (
                f"postgresql://{credentials}@127.0.0.1:{self.port['primary']}/dealer_mall"
            ),
            "REPORTS_DATABASE_URL": (
                f"postgresql://{credentials}@127.0.0.1:{self.port['replica']}/dealer_mall"
            ),
            # Short, so that the check can watch a paused replica fall behind it.
            "REPORTS_MAX_LAG_SECONDS": "5",
            "REDIS_URL": f"redis://127.0.0.1:{self.port['redis']}/0",
            "METRICS_TOKEN": self.metrics_token,
            "WECHAT_APPID": "wxprodcheckmini",
            "WECHAT_SECRET": "prodcheck-mini-secret",
            "WECHAT_OA_APPID": "wxprodcheckoa",
            "WECHAT_OA_SECRET": "prodcheck-oa-secret",
            "WECHAT_OA_TOKEN": "prodcheck-callback-token",
            # The sandbox stands in for WeChat and Tencent Cloud SMS.
            "WECHAT_API_BASE_URL": self.sandbox_url,
            "WECHAT_OPEN_BASE_URL": self.sandbox_url,
            "SMS_ENDPOINT": self.sandbox_url.removeprefix("http://"),
            "SMS_SECRET_ID": "prodcheck-sms-id",
            "SMS_SECRET_KEY": "prodcheck-sms-key",
            "SMS_SDK_APP_ID": "1400000000",
            "PUBLIC_BASE_URL": self.site,
            # The check's webhook receiver listens on 127.0.0.1.
            "WEBHOOK_ALLOW_PRIVATE": "1",
            # Low, so that the check reaches it quickly (each test signs in from an address of
            # its own).
            "RATELIMIT_LOGIN": "5 per minute",
            # The burst of orders (and their retries) comes from one dealer within a minute.
            "RATELIMIT_ORDERS": "600 per minute",
        }
        missing = sorted(set(ours) - set(template))
        if missing:
            raise RecipeDrift(f"deploy/dealer-mall.env no longer lists {', '.join(missing)}")
        return {**template, **ours, "DEMO_PASSWORD": self.demo_password}

    def paths(self) -> dict[str, str]:
        """The recipe's folders on this machine."""
        return {
            "/srv/dealer-mall/current/.venv/bin/": f"{ROOT}/.venv/bin/",
            "/srv/dealer-mall/current": str(ROOT),
            "/srv/dealer-mall/uploads/": f"{self.run}/uploads/",
        }

    def flask(self, *args: str) -> str:
        """A `flask` command as docs/deploy.md runs it: the service's environment."""
        return output(
            [f"{ROOT}/.venv/bin/flask", "--app", "app", *args],
            f"flask {' '.join(args)} failed",
            cwd=ROOT,
            env={**_base_env(), **self.env},
        )

    def _first_start(self) -> None:
        (self.run / "uploads").mkdir(mode=0o755)
        self.flask("db-upgrade")
        self.flask(
            "create-staff", "--username", "ops", "--password", self.admin_password,
            "--role", "admin", "--name", "运维管理员",
        )  # fmt: skip
        self.flask("seed-demo", "--if-empty")

    def start_node(self, node: str) -> None:
        unit = Unit.read("dealer-mall-web.service", self.paths())
        env = {**_base_env(), **self.env, **unit.environment}
        env["BIND"] = f"127.0.0.1:{self.port[f'node_{node}']}"
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self.run / f"metrics-{node}")
        self._spawn(f"node-{node}", unit.command, env)

    def _nodes(self) -> None:
        for node in ("a", "b"):
            self.start_node(node)
        for node in ("a", "b"):
            wait_for(lambda n=node: _healthy(self.node_url[n]), f"app node {node}")

    def _workers(self) -> None:
        env = {**_base_env(), **self.env}
        for name, unit in (
            ("scheduler", "dealer-mall-scheduler.service"),
            ("worker-1", "dealer-mall-worker@.service"),
        ):
            self._spawn(name, Unit.read(unit, self.paths()).command, env)
        wait_for(lambda: "Huey consumer started" in self.log("worker-1"), "the task workers")

    def _nginx(self) -> None:
        folder = self.run / "nginx"
        (folder / "temp").mkdir(parents=True)
        https, http = self.port["https"], self.port["http"]
        site = render(
            RECIPE / "nginx" / "dealer-mall.conf",
            {
                "    server 10.0.0.11:8000 max_fails=3 fail_timeout=10s;\n"
                "    server 10.0.0.12:8000 max_fails=3 fail_timeout=10s;\n": (
                    f"    server 127.0.0.1:{self.port['node_a']} max_fails=3 fail_timeout=10s;\n"
                    f"    server 127.0.0.1:{self.port['node_b']} max_fails=3 fail_timeout=10s;\n"
                ),
                "listen 80 default_server;": f"listen 127.0.0.1:{http} default_server;",
                "listen 443 ssl default_server;": f"listen 127.0.0.1:{https} ssl default_server;",
                "listen 80;": f"listen 127.0.0.1:{http};",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https} ssl http2;",
                "/etc/letsencrypt/live/mall.example.com/fullchain.pem": str(self.certificate),
                "/etc/letsencrypt/live/mall.example.com/privkey.pem": str(
                    self.certificate.with_suffix(".key")
                ),
                "server_name mall.example.com;": "server_name localhost;",
                "return 301 https://$host$request_uri;": (
                    f"return 301 https://$host:{https}$request_uri;"
                ),
                **{old: new for old, new in self.paths().items() if "venv" not in old},
            },
        )
        (folder / "dealer-mall.conf").write_text(site)
        (folder / "nodes.conf").write_text(self._node_servers())
        temp = folder / "temp"
        (folder / "nginx.conf").write_text(
            ("user root;\n" if IS_ROOT else "")
            + f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {self.logs}/nginx-error.log warn;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
            f"  access_log {self.logs}/nginx-access.log;\n  sendfile on;\n"
            + "".join(
                f"  {kind}_temp_path {temp}/{kind};\n"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  include {folder}/dealer-mall.conf;\n  include {folder}/nodes.conf;\n"
            "}\n"
        )
        output(
            [program("nginx"), "-t", "-p", str(folder), "-e", str(self.logs / "nginx-error.log"),
             "-c", str(folder / "nginx.conf")],
            "nginx -t refused the site",
        )  # fmt: skip
        self._spawn(
            "nginx",
            [program("nginx"), "-p", str(folder), "-e", str(self.logs / "nginx-error.log"),
             "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        )  # fmt: skip
        wait_for(lambda: _healthy(self.site, verify=str(self.certificate)), "nginx")

    def _node_servers(self) -> str:
        """The check's own addition: one HTTPS port in front of each node alone."""
        blocks = []
        for node in ("a", "b"):
            blocks.append(
                "server {\n"
                f"    listen 127.0.0.1:{self.port[f'https_{node}']} ssl;\n"
                "    server_name localhost;\n"
                f"    ssl_certificate {self.certificate};\n"
                f"    ssl_certificate_key {self.certificate.with_suffix('.key')};\n"
                "    client_max_body_size 8m;\n"
                "    location / {\n"
                f"        proxy_pass http://127.0.0.1:{self.port[f'node_{node}']};\n"
                "        proxy_set_header Host $http_host;\n"
                "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
                "        proxy_set_header X-Forwarded-Proto $scheme;\n"
                "        proxy_set_header X-Request-ID $request_id;\n"
                "    }\n"
                "}\n"
            )
        return "".join(blocks)

    # --- while it runs ---------------------------------------------------------------------------

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def kill_node(self, node: str) -> None:
        self.processes[f"node-{node}"].kill()

    def restart_node(self, node: str) -> None:
        self.start_node(node)
        wait_for(lambda: _healthy(self.node_url[node]), f"app node {node} again")

    # --- stop --------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop everything (workers finish their tasks on SIGINT; PostgreSQL's fast shutdown),
        keep the logs in test-artifacts/prod-check/, remove the rest."""
        order = ["nginx", "scheduler", "worker-1", "node-a", "node-b", "pgbouncer", "redis",
                 "postgresql-replica", "postgresql-primary"]  # fmt: skip
        for name in order + [n for n in self.processes if n not in order]:
            process = self.processes.get(name)
            if process is not None:
                quick = (
                    signal.SIGINT
                    if name.startswith(("postgresql", "scheduler", "worker"))
                    else None
                )
                process.stop(quick or signal.SIGTERM)
        if ARTIFACTS.exists():
            shutil.rmtree(ARTIFACTS)
        ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(self.logs, ARTIFACTS)
        shutil.rmtree(self.run, ignore_errors=True)


def stop_leftovers() -> None:
    """Processes a check killed before its teardown left behind (each run writes the ids it
    started into its folder): stopped by id, only while they still belong to that run."""
    for pids in Path(tempfile.gettempdir()).glob(f"{RUN_PREFIX}*/pids"):
        run = str(pids.parent)
        for line in pids.read_text().splitlines():
            pid = int(line.split()[0])
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if run in command or run in environ:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(run, ignore_errors=True)


def _unused_ports(count: int) -> list[int]:
    """`count` distinct free ports: drawn one by one, two could be the same port (a run once
    found PostgreSQL where app node a was to listen), as none is bound until the servers start."""
    ports: list[int] = []
    while len(ports) < count:
        if (port := _unused_port()) not in ports:
            ports.append(port)
    return ports


def _unused_port() -> int:
    """A free port below Linux's ephemeral range (32768 and up): a port picked there may be
    taken, before the server binds it, by any outgoing connection on the machine."""
    while True:
        port = random.randrange(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


def _base_env() -> dict[str, str]:
    """What systemd gives a service: a PATH and a locale, nothing from this shell."""
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": "C.UTF-8",
        "HOME": os.environ.get("HOME", "/root"),
    }


def _append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16).startswith(b"+PONG")


def _healthy(base: str, verify: str | bool = True) -> bool:
    return requests.get(f"{base}/healthz", timeout=2, verify=verify).status_code == 200
