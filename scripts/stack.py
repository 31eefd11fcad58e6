"""The scaled deployment on one host, on loopback, from Debian's packages (``make stack``).

PostgreSQL (a cluster of its own, run as the ``postgres`` user: it refuses root), Redis, Celery
workers (as root, so that the local sandbox can create cgroups and switch to per-run uids) and
beat, and gunicorn serving the app and its collected static files (whitenoise). Everything lives
in one directory (``.stack/`` by default: data, logs, pid files, ``stack.env``) on ports of its
own, so it runs beside the test services (``scripts/services.sh``) and beside other stacks.
The resilience tests (``courses/tests/test_stack_resilience.py``) start their own with this code.

    python scripts/stack.py start     # what `make stack` runs; prints the URL and stack.env
    python scripts/stack.py stop      # `make stack-stop`: every process it started, by pid
    python scripts/stack.py status

Settings come from the environment: ``STACK_DIR``, ``STACK_WEB_PORT`` (8100), ``STACK_PG_PORT``
(5442), ``STACK_REDIS_PORT`` (6389), ``STACK_WEB_WORKERS`` (2), ``STACK_WORKERS`` (the worker
lines, below), ``STACK_JUDGE_BACKEND`` (local); the app's own ``COURSES_*`` and ``JUDGE0_*``
settings pass through (``COURSES_SIGNUP_OPEN=1 make stack``). Each worker line is
``name:lanes:concurrency``, separated by spaces; the default dedicates one worker to the live
and run lanes and lets the other take the bulk lane first, then live work:

    STACK_WORKERS="live:live,run:2 bulk:bulk,live:1"

Only processes this script started are stopped, by the pids it wrote (each is the leader of its
own process group, which holds its children: gunicorn's and Celery's workers).
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DB_NAME = DB_USER = "codecourses"


def pg_bin() -> Path | None:
    """The newest PostgreSQL installed from Debian's packages (``PG_VERSION`` to choose)."""
    version = os.environ.get("PG_VERSION")
    pattern = f"/usr/lib/postgresql/{version or '*'}/bin/initdb"
    found = sorted(glob.glob(pattern), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def missing_packages() -> list[str]:
    """Debian packages the stack needs and this host lacks."""
    missing = []
    if pg_bin() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:g} s")
        time.sleep(0.1)


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


@dataclass
class Worker:
    name: str
    lanes: list[str]
    concurrency: int = 1

    @classmethod
    def parse(cls, line: str) -> Worker:
        name, lanes, concurrency = line.split(":")
        return cls(name, lanes.split(","), int(concurrency))


DEFAULT_WORKERS = "live:live,run:2 bulk:bulk,live:1"


@dataclass
class Stack:
    """One stack: its directory, ports and settings; ``start`` and ``stop`` each part."""

    root: Path
    web_port: int = 8100
    pg_port: int = 5442
    redis_port: int = 6389
    web_workers: int = 2
    workers: list[Worker] = field(default_factory=list)
    #: Settings of the app's processes beyond the stack's own (tests shorten leases here).
    settings: dict[str, str] = field(default_factory=dict)
    #: PostgreSQL without fsync (tests, where durability is not the point).
    fast_postgres: bool = False
    python: str = sys.executable

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        # Traversable by the sandbox's unprivileged run uids (their boxes live under it).
        self.root.chmod(0o711)
        for sub in ("run", "logs", "metrics", "static"):
            (self.root / sub).mkdir(exist_ok=True)

    @classmethod
    def from_environment(cls) -> Stack:
        env = os.environ
        return cls(
            root=Path(env.get("STACK_DIR", REPO / ".stack")),
            web_port=int(env.get("STACK_WEB_PORT", 8100)),
            pg_port=int(env.get("STACK_PG_PORT", 5442)),
            redis_port=int(env.get("STACK_REDIS_PORT", 6389)),
            web_workers=int(env.get("STACK_WEB_WORKERS", 2)),
            workers=[Worker.parse(w) for w in env.get("STACK_WORKERS", DEFAULT_WORKERS).split()],
            settings={
                "COURSES_JUDGE_BACKEND": env.get("STACK_JUDGE_BACKEND", "local"),
                # The app's own settings given to `make stack` pass through to its processes.
                **{k: v for k, v in env.items() if k.startswith(("COURSES_", "JUDGE0_"))},
            },
        )

    # --- paths and settings --------------------------------------------------------------------

    @property
    def pg_data(self) -> Path:
        return self.root / "postgres"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def secret(self, name: str) -> str:
        """A secret kept in the stack's directory, made on first use."""
        path = self.root / "run" / name
        if not path.exists():
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        """The settings every process of the app runs with (also written to ``stack.env``)."""
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SECRET_KEY": self.secret("secret-key"),
            "DATABASE_URL": (
                f"postgres://{DB_USER}:{self.secret('db-password')}@127.0.0.1:{self.pg_port}/"
                f"{DB_NAME}"
            ),
            "DATABASE_CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "STATIC_ROOT": str(self.root / "static"),
            "PROMETHEUS_MULTIPROC_DIR": str(self.root / "metrics"),
            "COURSES_METRICS_TOKEN": self.secret("metrics-token"),
            "COURSES_SITE_URL": self.url,
            "COURSES_FREE_RUN_SLOTS_DIR": str(self.root / "run"),
            # The sandbox's boxes, locks and start-up sweep are the stack's own.
            "COURSES_SANDBOX_DIR": str(self.root / "sandbox"),
            **self.settings,
        }

    def process_env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COURSES_"))}
        for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "PROMETHEUS_MULTIPROC_DIR"):
            keep.pop(name, None)
        return {**keep, **self.env()}

    def write_env_file(self) -> Path:
        path = self.root / "stack.env"
        path.write_text("".join(f"{k}={v}\n" for k, v in sorted(self.env().items())))
        path.chmod(0o600)
        return path

    # --- processes -----------------------------------------------------------------------------

    def pid_file(self, name: str) -> Path:
        return self.root / "run" / f"{name}.pid"

    def spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
        """Start ``argv`` in a session of its own, its output in ``logs/NAME.log``."""
        log = open(self.root / "logs" / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
        proc = subprocess.Popen(
            argv,
            cwd=REPO,
            env=env if env is not None else self.process_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.pid_file(name).write_text(str(proc.pid))
        return proc.pid

    def pid(self, name: str) -> int | None:
        path = self.pid_file(name)
        if not path.exists():
            return None
        pid = int(path.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def kill(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        """Signal the process group ``name`` leads, wait for it, then SIGKILL what is left."""
        pid = self.pid(name)
        if pid is None:
            self.pid_file(name).unlink(missing_ok=True)
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pid):
            _reap(pid)
            time.sleep(0.05)
        if _group_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            while _group_alive(pid):
                _reap(pid)
                time.sleep(0.05)
        _reap(pid)
        self.pid_file(name).unlink(missing_ok=True)

    def manage(self, *args: str, timeout: float = 300) -> str:
        proc = subprocess.run(
            [self.python, "manage.py", *args],
            cwd=REPO,
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
        return proc.stdout

    # --- PostgreSQL ----------------------------------------------------------------------------

    def as_postgres(self, *argv: str, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *argv],
            check=check,
            capture_output=True,
            text=True,
            cwd="/",
            **kwargs,
        )

    def postgres_init(self) -> None:
        if (self.pg_data / "PG_VERSION").exists():
            return
        self.pg_data.mkdir(mode=0o700, exist_ok=True)
        shutil.chown(self.pg_data, "postgres", "postgres")
        self.as_postgres(
            str(pg_bin() / "initdb"),
            "-D",
            str(self.pg_data),
            "-U",
            "postgres",
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--no-sync",
        )

    def postgres_start(self) -> None:
        self.postgres_init()
        sockets = self.root / "run" / "pg-socket"
        sockets.mkdir(exist_ok=True)
        shutil.chown(sockets, "postgres", "postgres")
        options = (
            f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {sockets} -c max_connections=200"
        )
        if self.fast_postgres:  # tests: durability is not their point
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = self.root / "logs" / "postgres.log"
        if not log.exists():
            log.touch()
        shutil.chown(log, "postgres", "postgres")
        self.as_postgres(
            str(pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "-o", options, "-l", str(log),
            "-w", "-t", "60", "start",
        )  # fmt: skip
        self._postgres_database(sockets)

    def _postgres_database(self, sockets: Path) -> None:
        password = self.secret("db-password")
        psql = [str(pg_bin() / "psql"), "-h", str(sockets), "-p", str(self.pg_port), "-U",
                "postgres", "-v", "ON_ERROR_STOP=1", "-qtA"]  # fmt: skip
        sql = (
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DB_USER}') THEN "
            f"CREATE ROLE {DB_USER} LOGIN CREATEDB PASSWORD '{password}'; END IF; END $$;"
        )
        self.as_postgres(*psql, "-c", sql)
        exists = self.as_postgres(
            *psql, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"
        ).stdout.strip()
        if not exists:
            self.as_postgres(*psql, "-c", f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}")

    def postgres_running(self) -> bool:
        """Whether this stack's server runs (``pg_ctl status``): ``make stack`` may be run
        again on a running stack, to bring back a part that died."""
        if not (self.pg_data / "postmaster.pid").exists():
            return False
        status = self.as_postgres(
            str(pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "status", check=False
        )
        return status.returncode == 0

    def postgres_stop(self, mode: str = "fast") -> None:
        if (self.pg_data / "postmaster.pid").exists():
            self.as_postgres(
                str(pg_bin() / "pg_ctl"), "-D", str(self.pg_data), "-m", mode, "-w", "stop",
                check=False,
            )  # fmt: skip

    def postgres_restart(self) -> None:
        self.postgres_stop()
        self.postgres_start()

    # --- Redis ---------------------------------------------------------------------------------

    def redis_start(self) -> None:
        data = self.root / "redis"
        data.mkdir(exist_ok=True)
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--dir", str(data), "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--protected-mode", "yes"],
        )  # fmt: skip
        wait_for(lambda: port_open(self.redis_port), 20, "Redis")

    def redis_stop(self) -> None:
        self.kill("redis")

    # --- the app -------------------------------------------------------------------------------

    def prepare(self, *, seed: bool = True) -> None:
        """Migrate, collect the static files, load the demo course (each idempotent)."""
        self.manage("migrate", "--no-input")
        self.manage("collectstatic", "--no-input")
        if seed:
            self.manage("seed_demo")

    def web_start(self) -> None:
        self.spawn(
            "web",
            [self.python, "-m", "gunicorn", "-c", "config/gunicorn.py",
             "--bind", f"127.0.0.1:{self.web_port}", "--workers", str(self.web_workers)],
        )  # fmt: skip
        wait_for(lambda: port_open(self.web_port), 60, "gunicorn")

    def worker_start(self, worker: Worker) -> None:
        prefix = self.env().get("COURSES_QUEUE_PREFIX", "")  # as config/settings/base.py names them
        queues = ",".join(prefix + lane for lane in worker.lanes)
        self.spawn(
            f"worker-{worker.name}",
            [self.python, "-m", "celery", "-A", "config", "worker", "-Q", queues,
             "-c", str(worker.concurrency), "-n", f"{worker.name}@%h", "-l", "info",
             "--without-gossip", "--without-mingle", "-P", "prefork"],
        )  # fmt: skip

    def worker_stop(self, worker: Worker, sig: int = signal.SIGTERM) -> None:
        self.kill(f"worker-{worker.name}", sig)

    def beat_start(self) -> None:
        self.spawn(
            "beat",
            [self.python, "-m", "celery", "-A", "config", "beat", "-l", "info",
             "-s", str(self.root / "run" / "celerybeat-schedule")],
        )  # fmt: skip

    # --- all of it -----------------------------------------------------------------------------

    def start(self, *, seed: bool = True) -> None:
        if shutil.which("runuser") is None or os.geteuid() != 0:
            raise RuntimeError("the stack runs as root (PostgreSQL as postgres, workers as root)")
        missing = missing_packages()
        if missing:
            raise RuntimeError(f"missing Debian packages: {' '.join(missing)}")
        if not any(self.status().values()):  # a fresh start: no process left of the last one
            self.clear_metrics()
        if not self.postgres_running():
            self.postgres_start()
        if self.pid("redis") is None:
            self.redis_start()
        self.write_env_file()
        self.prepare(seed=seed)
        for worker in self.workers:
            if self.pid(f"worker-{worker.name}") is None:
                self.worker_start(worker)
        if self.pid("beat") is None:
            self.beat_start()
        if self.pid("web") is None:
            self.web_start()

    def stop(self) -> None:
        self.kill("web")
        self.kill("beat")
        for pid_file in sorted((self.root / "run").glob("worker-*.pid")):
            self.kill(pid_file.stem)
        self.redis_stop()
        self.postgres_stop()

    def clear_metrics(self) -> None:
        """prometheus-client's multiprocess files describe the processes of one run only."""
        for path in (self.root / "metrics").glob("*.db"):
            path.unlink()

    def status(self) -> dict[str, bool]:
        names = ["web", "beat", "redis"] + [p.stem for p in (self.root / "run").glob("worker-*")]
        running = {name: self.pid(name) is not None for name in names}
        running["postgres"] = (self.pg_data / "postmaster.pid").exists()
        return running


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie leader keeps the group "alive" until reaped: only count live members.
    for stat in glob.glob("/proc/[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    stack = Stack.from_environment()
    if command == "start":
        stack.start()
        print(
            f"stack up: {stack.url}/ (API {stack.url}/api/v1/, health {stack.url}/api/v1/health/)"
        )
        print(f"settings: {stack.root / 'stack.env'}; logs: {stack.root / 'logs'}")
        print(f"metrics: curl -H 'Authorization: Bearer $(grep COURSES_METRICS_TOKEN "
              f"{stack.root / 'stack.env'} | cut -d= -f2)' {stack.url}/metrics")  # fmt: skip
    elif command == "stop":
        stack.stop()
        print("stack stopped")
    elif command == "status":
        for name, up in sorted(stack.status().items()):
            print(f"{name}: {'running' if up else 'stopped'}")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
