"""Helpers for the many-servers tests and bench: a PostgreSQL cluster that can be
restarted, the deploy/ nginx configuration rendered onto free loopback ports and run as
the current user, and app servers started by the command of deploy/'s systemd unit."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.servers import TALLYROOM, free_port, start_answering

REPO = Path(__file__).resolve().parents[2]
NGINX_CONF = REPO / "deploy" / "nginx" / "tallyroom.conf"
UNITS = REPO / "deploy" / "systemd"
INSTALLED = "/opt/tallyroom/.venv/bin/tallyroom"
"""where the units expect tallyroom (docs/deploy.md installs it there)"""


def unit_here(name: str) -> str:
    """The systemd unit file ``name`` of deploy/ with tallyroom where this checkout has it."""
    return (UNITS / name).read_text().replace(INSTALLED, TALLYROOM)


def unit_command(name: str, instance: str) -> list[str]:
    """The command systemd runs for instance ``instance`` of the unit template ``name``."""
    [line] = [x for x in unit_here(name).splitlines() if x.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart=").replace("%i", instance))


def start_app_server(store_url: str) -> tuple[subprocess.Popen, str]:
    """An app server on a free port, run as ``tallyroom@PORT.service`` runs it (the
    store named by ``TALLYROOM_DB``, as the unit's environment file gives it)."""
    port = free_port()
    env = {**os.environ, "TALLYROOM_DB": store_url}
    return start_answering(unit_command("tallyroom@.service", str(port)), port, env)


class Cluster:
    """A throwaway PostgreSQL cluster on a free loopback port, which can be stopped and
    started again on the same port and data."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL is not installed: run tools/test.sh")
        self.bindir = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="tallyroom-pgscale-"))
        self.as_owner: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        self._run("initdb", "-D", str(self.dir / "db"), "-U", "tallyroom", "--auth=trust",
                  "-E", "UTF8", "--no-sync")  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the ``tallyroom`` database (created by :meth:`start`)."""
        return f"postgresql+psycopg://tallyroom@127.0.0.1:{self.port}/tallyroom"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.as_owner, str(self.bindir / tool), *args],
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"{tool} failed: {done.stderr or done.stdout}")

    def start(self) -> None:
        """Start the server (and create the database the first time)."""
        self._run("pg_ctl", "-D", str(self.dir / "db"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                  "-c max_connections=200", "start")  # fmt: skip
        done = subprocess.run([*self.as_owner, str(self.bindir / "psql"), "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "tallyroom", "-d", "postgres",
                               "-tAc", "SELECT 1 FROM pg_database WHERE datname='tallyroom'"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        if not done.stdout.strip():
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "tallyroom",
                      "tallyroom")  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once, as a crash or a restart would."""
        self._run("pg_ctl", "-D", str(self.dir / "db"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its files."""
        subprocess.run([*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.dir / "db"),
                        "-m", "immediate", "stop"], capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(self.dir, ignore_errors=True)


def render_nginx(app_ports: list[int], listen: int, mirror_listen: int, mirror: Path,
                 prefix: Path) -> Path:  # fmt: skip
    """``deploy/nginx/tallyroom.conf`` with its upstream servers, listening ports, cache
    and mirror paths moved to ``app_ports``, ``listen``, ``mirror_listen``, ``prefix`` and
    ``mirror``, wrapped in a main configuration that runs as the current user under
    ``prefix``; returns the main configuration's path."""
    conf = NGINX_CONF.read_text()
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;\n" for p in app_ports)
    conf = re.sub(
        r"(?m)^    server 127\.0\.0\.1:\d+[^\n]*\n(?:    server [^\n]*\n)*", servers, conf
    )
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{mirror_listen};")
    conf = conf.replace("/var/cache/nginx/tallyroom", str(prefix / "cache"))
    conf = conf.replace("/srv/tallyroom/site", str(mirror))
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    (prefix / "tallyroom.conf").write_text(conf)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/logs/error.log warn;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  access_log {prefix}/logs/access.log;\n"
        f"  client_body_temp_path {prefix}/body;\n  proxy_temp_path {prefix}/proxy;\n"
        f"  fastcgi_temp_path {prefix}/fastcgi;\n  uwsgi_temp_path {prefix}/uwsgi;\n"
        f"  scgi_temp_path {prefix}/scgi;\n  include {prefix}/tallyroom.conf;\n}}\n"
    )
    path = prefix / "nginx.conf"
    path.write_text(main)
    return path


def start_nginx(config: Path, base: str) -> subprocess.Popen:
    """Run nginx on ``config`` in the foreground until it answers at ``base``."""
    prefix = config.parent
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is not installed: run tools/test.sh, which installs it")
    check = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(config)],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if check.returncode:
        raise RuntimeError(f"nginx -t failed: {check.stderr}")
    process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    for _ in range(100):
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("nginx did not answer")
