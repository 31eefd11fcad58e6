"""Work directories ("boxes"): one per submission, mounted at /box inside every sandbox of it.

A box lives under ``<state dir>/boxes/u<owner uid>-<token>``: outside /root and the project, on
its own size-limited tmpfs when the host allows mounts (a full box cannot fill the host disk, and
a hard link from inside cannot reach a host file across the mount, sandbox.md §3 #17 and #23).
The owner uid is the batch's uid lease; the start-up sweep removes boxes whose owner lock is free.

Files are written into a box only before any sandboxed code ran in it (``seal``): after that the
host never writes, chowns or reads a path inside it, because the code could have planted
symlinks there (CVE-2024-28185, CVE-2024-28189, go-judge #176). Removal unmounts the tmpfs, or
falls back to ``shutil.rmtree``, which on Linux works on file descriptors and never follows links.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil

MS_NOSUID = 0x2
MS_NODEV = 0x4
MNT_DETACH = 0x2


class BoxError(RuntimeError):
    pass


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _mount_tmpfs(path: str, size_bytes: int) -> bool:
    if os.geteuid() != 0:
        return False
    options = f"size={size_bytes},mode=0755,nr_inodes=4096".encode()
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


class Box:
    """A fresh work directory; ``path`` is the host path bound at /box."""

    def __init__(self, boxes_dir: str, owner_uid: int, *, size_bytes: int) -> None:
        self.path = os.path.join(boxes_dir, f"u{owner_uid}-{secrets.token_hex(8)}")
        self.sealed = False
        os.mkdir(self.path, 0o755)
        self.mounted = _mount_tmpfs(self.path, size_bytes)

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

    def give_to(self, uid: int) -> None:
        """Make the box root writable by ``uid`` (for compiling); only before sealing."""
        if self.sealed:
            raise BoxError("the box is sealed: code ran in it")
        fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            os.fchown(fd, uid, uid)
            os.fchmod(fd, 0o755)
        finally:
            os.close(fd)

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
