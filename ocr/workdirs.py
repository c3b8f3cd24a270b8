"""Private work folders of sandboxed jobs, marked with their owner so a dead worker's are found.

A worker killed outright (SIGKILL, OOM killer, power cut of a VM) runs no ``finally``:
the page images and scratch files of personal documents it was working on would stay in
the temp folder for good. Every folder made here is named ``ecase-ocr-…`` and holds a
marker with the owning process's pid, its start time (so a reused pid is not mistaken
for the owner) and the host name; ``remove_stale_work_dirs`` removes the folders whose
owner is gone, and only those, so every worker may call it at start while others run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "STALE_AFTER_S",
    "WORK_DIR_PREFIX",
    "create_work_dir",
    "proc_stat",
    "remove_stale_work_dirs",
    "work_root",
]

WORK_DIR_PREFIX = "ecase-ocr-"
#: A folder untouched this long goes even if its owner's pid looks alive (pid reuse on a
#: system without /proc, a forged marker). It must exceed the longest job: with the
#: default limits one process needs at most about 33 hours for 2000 pages of OCR.
STALE_AFTER_S = 2 * 24 * 3600.0
#: A folder without a readable marker was left between ``mkdtemp`` and writing the
#: marker, microseconds apart; after this long nobody is about to write one.
_UNMARKED_GRACE_S = 300.0
_MARKER = ".owner"


@dataclass(frozen=True, slots=True)
class _Owner:
    pid: int
    start: int | None
    host: str


def work_root() -> Path:
    """Where work folders go by default: the temp folder of this process (``TMPDIR``)."""
    return Path(tempfile.gettempdir())


def create_work_dir(root: Path | None = None) -> Path:
    """Create a fresh ``ecase-ocr-…`` folder owned by this process, private to its user.

    The caller SHOULD remove it when done; if the process dies first,
    ``remove_stale_work_dirs`` removes it at the next worker start.
    """
    path = Path(tempfile.mkdtemp(prefix=WORK_DIR_PREFIX, dir=root or work_root()))
    pid = os.getpid()
    owner = {"pid": pid, "start": _start_time(pid), "host": socket.gethostname()}
    partial = path / f"{_MARKER}.part"
    partial.write_text(json.dumps(owner), encoding="utf-8")
    partial.replace(path / _MARKER)  # a sweeper sees no marker or a whole one
    return path


def remove_stale_work_dirs(root: Path | None = None, older_than: float = STALE_AFTER_S) -> int:
    """Remove the ``ecase-ocr-…`` folders under ``root`` whose owning process is gone.

    A folder MUST stay while its owner runs (checked by pid and process start time), unless
    it is untouched for longer than ``older_than`` seconds; folders of other users, of
    other hosts sharing the folder (judged by age only), symlinks and names without the
    prefix are never touched. Returns how many folders were removed. Safe to call at any
    time from any number of processes.
    """
    root = Path(root) if root is not None else work_root()
    try:
        entries = list(os.scandir(root))
    except FileNotFoundError:
        return 0
    now = time.time()
    removed = 0
    for entry in entries:
        if not entry.name.startswith(WORK_DIR_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # another worker's sweep was quicker
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            continue
        age = now - info.st_mtime
        owner = _read_owner(Path(entry.path))
        if owner is None:
            stale = age > min(older_than, _UNMARKED_GRACE_S)
        else:
            stale = age > older_than or not _owner_alive(owner)
        if stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.lexists(entry.path):
                removed += 1
    return removed


def _read_owner(path: Path) -> _Owner | None:
    try:
        data = json.loads((path / _MARKER).read_text(encoding="utf-8"))
        pid, start, host = data["pid"], data["start"], data["host"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(pid, int) or not isinstance(host, str):
        return None
    return _Owner(pid, start if isinstance(start, int) else None, host)


def _owner_alive(owner: _Owner) -> bool:
    if owner.host != socket.gethostname():
        return True  # its pids mean nothing here; age decides
    if owner.pid <= 0:
        return False
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, under another user
    state = _process_state(owner.pid)
    if state is None:
        return True  # no /proc: trust the pid, age catches a reused one
    status, start = state
    if status in ("Z", "X"):
        return False  # dead, only not yet reaped
    return owner.start is None or owner.start == start


def _start_time(pid: int) -> int | None:
    state = _process_state(pid)
    return None if state is None else state[1]


def _process_state(pid: int) -> tuple[str, int] | None:
    """State letter and start time (clock ticks since boot) from ``/proc``; Linux only."""
    fields = proc_stat(pid)
    if fields is None or len(fields) < 20 or not fields[19].isdigit():
        return None
    return fields[0], int(fields[19])


def proc_stat(pid: int) -> list[str] | None:
    """Fields 3.. of ``/proc/<pid>/stat`` (state first), or None where there is no such file.

    Index ``n - 3`` is field ``n`` of proc(5): 0 the state, 2 the process group, 19 the
    start time.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        # the command name in parentheses may itself contain spaces and parentheses
        return raw[raw.rindex(")") + 2 :].split()
    except (OSError, ValueError):
        return None
