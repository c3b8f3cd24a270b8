"""The scanner's hot folder: files are taken once they stop changing, by exactly one worker.

Layout under the inbox directory (``ECASE_INBOX_DIR``, default ``$ECASE_HOME/inbox``)::

    inbox/                  files from scanners without a profile
    inbox/<profile>/        one subfolder per scanner profile (see ``scanner-profiles.toml``)
    inbox/failed/           rejected files, each with ``<name>.reason.txt`` beside it
    inbox/.claimed/<id>/    files a worker has taken and not yet finished (one dir per worker)

A file is taken when its size and mtime were the same in two consecutive polls. Taking is
an atomic ``os.rename`` into the worker's own claim directory, so of several workers on a
shared folder exactly one gets each file. The file is removed once its batch is
committed. A worker that dies leaves its claim directory behind; its heartbeat file stops
changing, and after ``stale_after`` seconds another worker takes the files over (the
duplicate check of the batches catches a file that was already recorded).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ecase.domain.errors import (
    EcaseError,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedMediaError,
)
from ecase.services.context import Context
from ecase.services.intake import scanning
from ecase.services.intake.scanning import ScannerProfile

log = logging.getLogger(__name__)

PROFILES_FILE = "scanner-profiles.toml"
FAILED_DIR = "failed"
CLAIMED_DIR = ".claimed"
HEARTBEAT = ".heartbeat"
REASON_SUFFIX = ".reason.txt"
#: Scanners and copy tools write under these names first and rename when done.
_TEMP_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload", ".filepart")
_COLOUR_MODES = ("colour", "grey", "bw", "")

REASONS: dict[type[EcaseError], tuple[str, str]] = {
    InvalidInputError: ("Die Datei ist leer.", "The file is empty."),
    UnsupportedMediaError: (
        "Das Dateiformat wird nicht angenommen. Erlaubt sind PDF, TIFF, PNG und JPEG.",
        "This file type is not accepted. Allowed are PDF, TIFF, PNG and JPEG.",
    ),
    PayloadTooLargeError: (
        "Die Datei ist größer als die erlaubte Höchstgröße (ECASE_MAX_UPLOAD_BYTES).",
        "The file is larger than the allowed maximum (ECASE_MAX_UPLOAD_BYTES).",
    ),
}


UNREADABLE = (
    "Die Datei kann nicht gelesen werden (Dateirechte?).",
    "The file cannot be read (file permissions?).",
)
#: ``Taken.reason`` of a file given back to the folder because a service was down.
RETRY = "not recorded now (storage or database unavailable); it stays in the hot folder"


class ProfileError(EcaseError):
    """The scanner profiles file cannot be read; the message names the problem."""


def load_profiles(path: Path) -> dict[str, ScannerProfile]:
    """Profiles from a TOML file; a missing file means no profiles.

    ``[profiles.<folder>]`` with ``resolution_dpi`` (int), ``colour_mode`` (colour | grey |
    bw) and ``clerk`` (a username), all optional.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    section = data.get("profiles", {})
    if not isinstance(section, dict):
        raise ProfileError(f"{path}: [profiles] must be a table")
    profiles: dict[str, ScannerProfile] = {}
    for name, raw in section.items():
        if not isinstance(raw, dict):
            raise ProfileError(f"{path}: [profiles.{name}] must be a table")
        dpi = raw.get("resolution_dpi")
        colour = raw.get("colour_mode", "")
        clerk = raw.get("clerk")
        if dpi is not None and (not isinstance(dpi, int) or not 50 <= dpi <= 1200):
            raise ProfileError(f"{path}: profiles.{name}.resolution_dpi must be 50..1200")
        if colour not in _COLOUR_MODES:
            raise ProfileError(f"{path}: profiles.{name}.colour_mode must be colour, grey or bw")
        if clerk is not None and not isinstance(clerk, str):
            raise ProfileError(f"{path}: profiles.{name}.clerk must be a username")
        profiles[name] = ScannerProfile(name, dpi, colour, clerk)
    return profiles


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups and files still being written are never taken."""
    lowered = name.lower()
    return (
        name.startswith((".", "~"))
        or name.endswith("~")
        or lowered.endswith(_TEMP_SUFFIXES)
        or lowered.endswith(REASON_SUFFIX)
    )


@dataclass(frozen=True, slots=True)
class Taken:
    """What happened to one file: ``batch_id`` when recorded, else the reason it failed."""

    name: str
    profile: str
    batch_id: int | None = None
    reason: str | None = None


@dataclass
class HotFolder:
    """One worker's view of the hot folder; ``poll`` is one round, ``run`` loops it."""

    ctx: Context
    root: Path
    profiles_file: Path | None = None
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    #: a claim directory whose heartbeat is older than this belongs to a dead worker
    stale_after: float = 600.0
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _profile_problem: str = ""

    @classmethod
    def for_context(cls, ctx: Context, *, stale_after: float = 600.0) -> HotFolder:
        settings = ctx.settings
        return cls(
            ctx,
            settings.inbox_path,
            profiles_file=settings.home / PROFILES_FILE,
            stale_after=stale_after,
        )

    @property
    def claim_dir(self) -> Path:
        return self.root / CLAIMED_DIR / self.worker_id

    def prepare(self) -> None:
        (self.root / FAILED_DIR).mkdir(parents=True, exist_ok=True)
        self.claim_dir.mkdir(parents=True, exist_ok=True)
        self._beat()

    def poll(self) -> list[Taken]:
        """Take every file that has not changed since the last poll; remember the others."""
        self.prepare()
        profiles = self._profiles()
        current: dict[Path, tuple[int, int]] = {}
        stable: list[tuple[Path, str]] = []
        for path, profile in self._candidates():
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # another worker took it
            signature = (info.st_size, info.st_mtime_ns)
            current[path] = signature
            if self._seen.get(path) == signature:
                stable.append((path, profile))
        self._seen = current
        results = [self._take(path, profile, profiles) for path, profile in stable]
        results += self._reclaim_stale(profiles)
        self._beat()
        return [r for r in results if r is not None]

    def run(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Poll until ``stop`` is set; a failing round is logged and the next one tried."""
        log.info("hot folder %s watched by %s", self.root, self.worker_id)
        while not stop.is_set():
            try:
                for taken in self.poll():
                    log.info(
                        "hot folder: %s -> %s",
                        taken.name,
                        f"batch {taken.batch_id}" if taken.batch_id else taken.reason,
                    )
            except Exception:
                log.exception("hot folder round failed; trying again")
            stop.wait(interval)

    # -------------------------------------------------------------------- internals

    def _profiles(self) -> dict[str, ScannerProfile]:
        if self.profiles_file is None:
            return {}
        try:
            profiles = load_profiles(self.profiles_file)
        except ProfileError as exc:
            if exc.message != self._profile_problem:  # once, not every two seconds
                log.error("scanner profiles ignored: %s", exc.message)
            self._profile_problem = exc.message
            return {}
        self._profile_problem = ""
        return profiles

    def _candidates(self) -> Iterator[tuple[Path, str]]:
        for entry in _entries(self.root):
            if entry.is_file(follow_symlinks=False) and not is_ignored(entry.name):
                yield Path(entry.path), ""
            elif (
                entry.is_dir(follow_symlinks=False)
                and entry.name != FAILED_DIR
                and not is_ignored(entry.name)
            ):
                for inner in _entries(Path(entry.path)):
                    if inner.is_file(follow_symlinks=False) and not is_ignored(inner.name):
                        yield Path(inner.path), entry.name

    def _take(
        self, path: Path, profile_name: str, profiles: dict[str, ScannerProfile]
    ) -> Taken | None:
        claimed = self.claim_dir / profile_name / f"{uuid.uuid4().hex}-{path.name}"
        claimed.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None  # another worker was faster
        except OSError as exc:
            log.warning("hot folder: cannot take %s: %s", path.name, exc.strerror or exc)
            return None
        self._seen.pop(path, None)
        self._beat()  # a long round of large files must not look like a dead worker
        return self._ingest(claimed, path.name, profile_name, profiles)

    def _ingest(
        self, claimed: Path, name: str, profile_name: str, profiles: dict[str, ScannerProfile]
    ) -> Taken:
        profile = profiles.get(profile_name) or (
            ScannerProfile(profile_name) if profile_name else None
        )
        try:
            stream = claimed.open("rb")
        except OSError as exc:
            log.warning("hot folder: cannot read %s: %s", name, exc.strerror or exc)
            self._reject(claimed, name, profile_name, *UNREADABLE)
            return Taken(name, profile_name, reason=UNREADABLE[1])
        try:
            with stream:
                view = scanning.ingest_file(
                    self.ctx, None, stream, name, channel="hotfolder", profile=profile
                )
        except tuple(REASONS) as exc:
            german, english = next(text for kind, text in REASONS.items() if isinstance(exc, kind))
            self._reject(claimed, name, profile_name, german, english)
            return Taken(name, profile_name, reason=english)
        except Exception:
            # storage or database down: give the file back, the next round tries again
            log.exception("hot folder: %s could not be recorded; it stays in the inbox", name)
            self._give_back(claimed, name, profile_name)
            return Taken(name, profile_name, reason=RETRY)
        claimed.unlink(missing_ok=True)
        return Taken(name, profile_name, batch_id=view.id)

    def _reject(self, claimed: Path, name: str, profile: str, german: str, english: str) -> None:
        failed = self.root / FAILED_DIR
        target = _free_name(failed, f"{profile}-{name}" if profile else name)
        os.replace(claimed, target)
        reason = target.with_name(target.name + REASON_SUFFIX)
        reason.write_text(
            f"{german}\n{english}\n\nDatei / file: {name}\n"
            f"Scanprofil / profile: {profile or '-'}\n",
            encoding="utf-8",
        )

    def _give_back(self, claimed: Path, name: str, profile: str) -> None:
        folder = self.root / profile if profile else self.root
        try:
            os.replace(claimed, _free_name(folder, name))
        except OSError:
            log.exception("hot folder: could not give %s back; it waits in %s", name, claimed)

    def _beat(self) -> None:
        heartbeat = self.claim_dir / HEARTBEAT
        heartbeat.touch()

    def _reclaim_stale(self, profiles: dict[str, ScannerProfile]) -> list[Taken | None]:
        """Finish the files of workers whose heartbeat stopped (they died mid-way)."""
        results: list[Taken | None] = []
        now = time.time()
        for entry in _entries(self.root / CLAIMED_DIR):
            if entry.name == self.worker_id or not entry.is_dir(follow_symlinks=False):
                continue
            other = Path(entry.path)
            try:
                last = (other / HEARTBEAT).stat().st_mtime
            except FileNotFoundError:
                last = other.stat().st_mtime
            if now - last < self.stale_after:
                continue
            # Take the whole directory over atomically: one reclaiming worker wins.
            mine = self.root / CLAIMED_DIR / f"{self.worker_id}-reclaim-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(other, mine)
            except OSError:
                continue
            log.warning("hot folder: taking over the files of dead worker %s", entry.name)
            for path, profile in _claimed_files(mine):
                name = path.name.split("-", 1)[1] if "-" in path.name else path.name
                results.append(self._ingest(path, name, profile, profiles))
            _remove_tree(mine)
        return results


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        return []


def _claimed_files(folder: Path) -> Iterator[tuple[Path, str]]:
    for entry in _entries(folder):
        if entry.is_file(follow_symlinks=False) and entry.name != HEARTBEAT:
            yield Path(entry.path), ""
        elif entry.is_dir(follow_symlinks=False):
            for inner in _entries(Path(entry.path)):
                if inner.is_file(follow_symlinks=False):
                    yield Path(inner.path), entry.name


def _remove_tree(folder: Path) -> None:
    for entry in _entries(folder):
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            _remove_tree(path)
        elif entry.name == HEARTBEAT:
            path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:
        log.warning("hot folder: %s is not empty; left for inspection", folder)


def _free_name(folder: Path, name: str) -> Path:
    """``name`` in ``folder``, or ``name (2)`` etc. when taken: a rejected file never
    overwrites another one."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    stem, dot, suffix = name.rpartition(".")
    counter = 2
    while target.exists() or target.with_name(target.name + REASON_SUFFIX).exists():
        target = folder / (f"{stem} ({counter}).{suffix}" if dot else f"{name} ({counter})")
        counter += 1
    return target


def process_once(ctx: Context, *, settle_seconds: float = 2.0) -> list[Taken]:
    """Look, wait ``settle_seconds``, look again and take what did not change (CLI, tests)."""
    folder = HotFolder.for_context(ctx)
    try:
        folder.poll()
        time.sleep(max(settle_seconds, 0.0))
        return folder.poll()
    finally:
        _remove_tree(folder.claim_dir)


def start_watcher(ctx: Context, stop: threading.Event, interval: float = 2.0) -> threading.Thread:
    """The worker's hot-folder thread (a daemon: it holds nothing that a kill would lose)."""
    folder = HotFolder.for_context(ctx)
    thread = threading.Thread(
        target=folder.run, args=(stop, interval), name="ecase-hotfolder", daemon=True
    )
    thread.start()
    return thread


def find_profile(ctx: Context, name: str | None) -> ScannerProfile | None:
    """The named profile from the profiles file, for uploads that say which scanner made them.

    Raises ``InvalidInputError`` for a name the profiles file does not declare.
    """
    name = (name or "").strip()
    if not name:
        return None
    try:
        profiles = load_profiles(ctx.settings.home / PROFILES_FILE)
    except ProfileError as exc:
        log.error("scanner profiles unreadable: %s", exc.message)
        profiles = {}
    profile = profiles.get(name)
    if profile is None:
        raise InvalidInputError(
            f"There is no scanner profile named {name[:60]!r}.", field="profile"
        )
    return profile
