"""Which isolation this host can give, decided once at start-up and reported (``judge_check``).

- ``full``: root (to switch to a per-run uid, create cgroups, mount box tmpfs), bubblewrap that
  can create its namespaces, a seccomp filter, and cgroups with memory, pids and CPU accounting.
- ``rlimits``: bubblewrap and seccomp but no usable cgroups: memory by RLIMIT_AS, processes by
  RLIMIT_NPROC (per uid: real only when root can switch to a run uid), CPU and peak memory from
  rusage. Weaker (no OOM counter, Java/Go dislike RLIMIT_AS), but still a sandbox.
- ``none``: only when ``COURSES_ALLOW_UNSANDBOXED=1`` and nothing better works, for development:
  rlimits only, as the current user, no namespaces.
Otherwise ``mode`` is None and running code raises ``SandboxUnavailable`` with ``detail``, which
says what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field

from . import cgroups
from .seccomp import SeccompUnavailable, filter_bpf

FULL = "full"
RLIMITS = "rlimits"
NONE = "none"
PROBE_UID = 65534


@dataclass(frozen=True)
class Isolation:
    mode: str | None
    detail: str
    bwrap: str | None = None
    layout: cgroups.Layout | None = None
    switch_uid: bool = False
    python: str = "/usr/bin/python3"
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> bool:
        return self.mode is not None


def env_allows_unsandboxed() -> bool:
    return os.environ.get("COURSES_ALLOW_UNSANDBOXED", "").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _probe_bwrap(bwrap: str, as_root: bool) -> str | None:
    """Start a real minimal sandbox; None if it works, else why not."""
    argv = [
        bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
        "--new-session", "--clearenv", "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
        "--size", "1048576", "--tmpfs", "/tmp", "/usr/bin/true",
    ]  # fmt: skip
    kwargs: dict = {}
    if as_root:  # the real runs drop to an unprivileged uid before bwrap: probe the same way
        kwargs = {"user": PROBE_UID, "group": PROBE_UID, "extra_groups": []}
    try:
        proc = subprocess.run(argv, env={}, capture_output=True, timeout=20, **kwargs)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap cannot start: {exc}"
    if proc.returncode != 0:
        return "bubblewrap cannot create its sandbox: " + proc.stderr.decode(errors="replace")
    return None


def detect(allow_unsandboxed: bool | None = None) -> Isolation:
    if allow_unsandboxed is None:
        allow_unsandboxed = env_allows_unsandboxed()
    python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    root = os.geteuid() == 0
    missing: list[str] = []
    bwrap = shutil.which("bwrap") or (
        "/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None
    )
    bwrap_ok = False
    if bwrap is None:
        missing.append("bubblewrap is not installed (apt-get install bubblewrap)")
    else:
        bwrap = os.path.realpath(bwrap)
        problem = _probe_bwrap(bwrap, root)
        if problem:
            missing.append(problem.strip())
        else:
            bwrap_ok = True
    seccomp_ok = True
    try:
        filter_bpf()
    except SeccompUnavailable as exc:
        seccomp_ok = False
        missing.append(str(exc))
    layout, cg_detail = cgroups.detect()
    return choose(
        bwrap=bwrap if bwrap_ok else None,
        seccomp_ok=seccomp_ok,
        root=root,
        layout=layout,
        cg_detail=cg_detail,
        allow_unsandboxed=allow_unsandboxed,
        python=python,
        missing=missing,
    )


def choose(
    *,
    bwrap: str | None,
    seccomp_ok: bool,
    root: bool,
    layout: cgroups.Layout | None,
    cg_detail: str,
    allow_unsandboxed: bool,
    python: str,
    missing: list[str],
) -> Isolation:
    """The isolation mode from what the host offers (``missing`` says what it lacks so far).

    ``full`` needs everything; ``rlimits`` needs bubblewrap and seccomp; ``none`` is only ever
    chosen when explicitly allowed; otherwise there is no usable sandbox and the detail says why.
    """
    missing = list(missing)
    bwrap_ok = bwrap is not None
    if layout is None:
        missing.append(cg_detail)
    if not root:
        missing.append("not running as root: no per-run uid")
    if bwrap_ok and seccomp_ok and root and layout is not None:
        return Isolation(FULL, f"bubblewrap, seccomp, per-run uid, {cg_detail}", bwrap, layout,
                         True, python)  # fmt: skip
    if bwrap_ok and seccomp_ok:
        detail = "bubblewrap, seccomp, rlimits (" + "; ".join(missing) + ")"
        return Isolation(RLIMITS, detail, bwrap, None, root, python, tuple(missing))
    if allow_unsandboxed:
        detail = "NO SANDBOX (COURSES_ALLOW_UNSANDBOXED=1): " + "; ".join(missing)
        return Isolation(NONE, detail, None, None, False, python, tuple(missing))
    detail = "no usable sandbox: " + "; ".join(missing)
    return Isolation(None, detail, None, None, False, python, tuple(missing))
