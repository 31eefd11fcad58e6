"""Work directories ("boxes"): mounted at /box inside a sandbox.

A box lives under ``<state dir>/boxes/u<owner uid>-<token>``, named after the uid lease of its
owner so that a sweep can remove the boxes of dead runs, and with 128 random bits so that its
path cannot be guessed. It is mode 0700 and owned by the sandbox's uid: no other host user and no
other sandbox can read a running submission's source. Bubblewrap receives it as an open fd
(``--bind-fd``/``--ro-bind-fd``), so its path appears in no process's arguments. The state and
boxes directories are 0711: bubblewrap, already running as the sandbox's uid, resolves the fd's
path and must traverse them; nobody can list them.

A writable box (a compilation's) is its own size-limited tmpfs: a full box cannot fill the host
disk, and a hard link from inside cannot reach a host file across the mount (sandbox.md §3 #17,
#23). A read-only box is a plain directory: nothing can be written or linked inside it.

Files are written into a box only before any sandboxed code ran in it (``seal``): after that the
host never writes, chowns or reads a path inside it, because the code could have planted
symlinks there (CVE-2024-28185, CVE-2024-28189, go-judge #176). Removal unmounts the tmpfs, or
uses ``shutil.rmtree``, which on Linux works on file descriptors and never follows links.

Stdlib only, no package-relative imports: the sandbox service (a standalone program) imports it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil

MS_NOSUID = 0x2
MS_NODEV = 0x4
MNT_DETACH = 0x2


class BoxError(RuntimeError):
    pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(path: str, size_bytes: int, owner: int) -> bool:
    if os.geteuid() != 0:
        return False
    options = f"size={size_bytes},mode=0700,uid={owner},gid={owner},nr_inodes=4096".encode()
    flags = MS_NOSUID | MS_NODEV
    return _libc().mount(b"tmpfs", path.encode(), b"tmpfs", flags, options) == 0


def _umount(path: str) -> bool:
    return _libc().umount2(path.encode(), MNT_DETACH) == 0


def is_mountpoint(path: str) -> bool:
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as f:
            return any(line.split()[4] == path for line in f)
    except OSError:
        return False


def prepare_dirs(state_dir: str) -> str:
    """Create the state and boxes directories (0711); returns the boxes directory."""
    boxes_dir = os.path.join(state_dir, "boxes")
    os.makedirs(boxes_dir, mode=0o711, exist_ok=True)
    for path in (state_dir, boxes_dir):
        os.chmod(path, 0o711)
    return boxes_dir


class Box:
    """A fresh work directory; ``path`` is the host path bound at /box.

    ``uid`` is the lease it is named after; ``owner`` the uid the sandbox runs as (None when
    the sandbox cannot switch uids: the box then belongs to the current user). ``size_bytes``
    makes it a tmpfs of that size (root only; otherwise a plain directory).
    """

    def __init__(
        self, boxes_dir: str, uid: int, *, owner: int | None, size_bytes: int | None = None
    ) -> None:
        self.path = os.path.join(boxes_dir, f"u{uid}-{os.urandom(16).hex()}")
        self.sealed = False
        os.mkdir(self.path, 0o700)
        try:
            self.mounted = (
                size_bytes is not None
                and owner is not None
                and _mount_tmpfs(self.path, size_bytes, owner)
            )
            if not self.mounted:
                if owner is not None and owner != os.geteuid():
                    os.chown(self.path, owner, owner)
                os.chmod(self.path, 0o700)
        except BaseException:  # nobody holds this box yet: it must not outlive the failure
            with contextlib.suppress(OSError, BoxError):
                remove_box(self.path)
            raise

    def write(self, name: str, data: bytes, mode: int = 0o644) -> None:
        """Create ``name`` in the box (never through an existing entry); only before sealing."""
        if self.sealed:
            raise BoxError("the box is sealed: code ran in it")
        if "/" in name or name in ("", ".", ".."):
            raise BoxError(f"bad file name {name!r}")
        dir_fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(name, flags, mode, dir_fd=dir_fd)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fchmod(fd, mode)
            finally:
                os.close(fd)
        finally:
            os.close(dir_fd)

    def open_fd(self) -> int:
        """An O_PATH fd of the box for bubblewrap (never through a link)."""
        return os.open(self.path, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)

    def seal(self) -> None:
        self.sealed = True

    def destroy(self) -> None:
        remove_box(self.path)


def remove_box(path: str) -> None:
    """Remove a box without following any link inside it."""
    while is_mountpoint(path):
        if not _umount(path):
            break
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        raise BoxError(f"cannot remove box {path}")
