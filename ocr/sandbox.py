"""Untrusted files are parsed in a child process that is memory-capped and always killable.

The child is a fresh interpreter (``subprocess`` in a new session, so the parent can kill
it together with its tesseract processes by process group), limits its own address space
with ``RLIMIT_AS`` before touching the file (tesseract inherits the limit), and answers in
JSON lines on a private copy of its stdout. Nothing is unpickled from the child: a file
that took over the child must not thereby take over the parent. The parent enforces the
wall-clock deadline; the child may ask for more time once it knows how many pages it must
recognise, up to a cap the parent computes from the limits.

The child never outlives the parent: a worker killed outright cannot kill the group, so
on Linux the kernel does it (``PR_SET_PDEATHSIG``), and a guard process in the child's
group takes the tesseract processes down with the child. ``RLIMIT_CPU`` ends a child
that escaped both (other systems). Scratch files, tesseract's temp files among them, go
to a marked work folder (``ocr.workdirs``) that the parent removes, or, if the parent
died first, the next worker start.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import math
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

from .errors import (
    ERROR_TYPES,
    CorruptDocumentError,
    ExtractionError,
    OcrEngineError,
    ResourceLimitError,
)
from .media import HEAD_BYTES, detect_media_type
from .model import ExtractionResult, Limits, result_from_json, validate_languages
from .workdirs import create_work_dir, proc_stat

__all__ = [
    "DEFAULT_LIMITS",
    "extend_deadline",
    "extract_in_sandbox",
    "run_in_sandbox",
    "run_on_file",
    "work_dir",
]

log = logging.getLogger(__name__)

DEFAULT_LIMITS = Limits()

_T = TypeVar("_T")

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)
_BOOT = (
    "import sys; sys.path.insert(0, {root!r}); "
    "from ocr.sandbox import _child_main; _child_main({parent})"
)
_STDERR_TAIL = 4000
_MAX_MESSAGE = 500

#: CPU seconds the child may use per wall-clock second of its longest budget, plus a
#: fixed allowance for starting. Its threads only feed tesseract and rendering is
#: serialised, so an honest child stays below one; the limit is for a child nobody can
#: kill any more, not for cutting jobs short.
_CPU_PER_WALL_SECOND = 2.0
_CPU_ALLOWANCE_S = 10
#: Seconds between the soft CPU limit (SIGXCPU) and the hard one (SIGKILL).
_CPU_HARD_MARGIN_S = 5
_PR_SET_PDEATHSIG = 1
#: Sent to the group guard when the child dies (any signal the child leaves alone).
_GUARD_SIGNAL = signal.SIGUSR1
#: How long the parent waits for the killed group to be gone before removing its folder.
_GROUP_EXIT_WAIT_S = 2.0
#: How often the child looks for its parent where the kernel cannot tell it (not Linux).
_PARENT_POLL_S = 1.0

#: The result channel, present only while running inside a sandboxed child.
_channel: list[IO[str]] = []
#: The child's private work folder, present only inside a sandboxed child.
_work_dirs: list[Path] = []
#: The pid of the child's group guard, present only inside a sandboxed child on Linux.
_guards: list[int] = []


def extract_in_sandbox(
    source: Path,
    workdir: Path,
    *,
    languages: str = "deu+eng",
    dpi: int = 300,
    limits: Limits = DEFAULT_LIMITS,
    processes: int | None = None,
) -> ExtractionResult:
    """Extract text from an untrusted file in a sandboxed child process.

    ``source`` is only read. Derived files (``searchable.pdf``) go into ``workdir``, which
    is created if missing; scratch files (page images) go to the sandbox's work folder,
    removed even when the child is killed, and by ``remove_stale_work_dirs`` when the
    worker was. Raises ``ExtractionError`` subclasses only (``OSError`` if ``source``
    cannot be read at all).
    """
    validate_languages(languages)
    if not 50 <= dpi <= 1200:
        raise ValueError("dpi must be between 50 and 1200")
    procs = max(1, processes or os.cpu_count() or 1)
    return run_on_file(
        "ocr.pipeline:extract_json",
        source,
        workdir,
        {"languages": languages, "dpi": dpi, "limits": asdict(limits), "processes": procs},
        limits=limits,
        max_extension_s=limits.budget_s(limits.max_pages, procs) - limits.timeout_s,
        parse=result_from_json,
        unusable="Das Ergebnis der Texterkennung war unbrauchbar und wurde verworfen.",
    )


def run_on_file(
    target: str,
    source: Path,
    outdir: Path,
    options: Mapping[str, object],
    *,
    limits: Limits,
    max_extension_s: float,
    parse: Callable[[object, Path], _T],
    unusable: str,
) -> _T:
    """Run ``target`` on the untrusted file ``source`` in the sandbox; parse its answer.

    The one way the file jobs talk to their child: the media type is sniffed first, so an
    obvious non-scan starts no child; ``outdir`` is created; the child gets one request
    with ``source``, ``outdir`` (both absolute), ``media_type`` and ``options``. The
    answer goes to ``parse(data, outdir)``; one it rejects (``ValueError``, ``KeyError``,
    ``TypeError``) becomes an ``ExtractionError`` with the clerk's sentence ``unusable``
    and code ``bad_result``.
    """
    source, outdir = Path(source), Path(outdir)
    with source.open("rb") as stream:
        media_type = detect_media_type(stream.read(HEAD_BYTES))
    outdir.mkdir(parents=True, exist_ok=True)
    request = {
        "source": str(source.resolve()),
        "outdir": str(outdir.resolve()),
        "media_type": media_type,
        **options,
    }
    data = run_in_sandbox(target, request, limits=limits, max_extension_s=max_extension_s)
    try:
        return parse(data, outdir)
    except (ValueError, KeyError, TypeError) as exc:
        raise ExtractionError(unusable, code="bad_result", detail=repr(exc)) from exc


def extend_deadline(seconds: float) -> None:
    """Ask the parent for ``seconds`` more wall-clock time; a no-op outside a sandbox."""
    if _channel and seconds > 0:
        _send({"extend": float(seconds)})


def work_dir() -> Path:
    """The sandboxed child's private scratch folder (also its ``TMPDIR``).

    Removed with everything in it when the call ends, or by
    ``ocr.remove_stale_work_dirs`` when the parent died. Only inside a sandboxed child.
    """
    if not _work_dirs:
        raise RuntimeError("work_dir() is only available inside a sandboxed child")
    return _work_dirs[0]


def run_in_sandbox(
    target: Callable[..., object] | str,
    *args: object,
    limits: Limits = DEFAULT_LIMITS,
    max_extension_s: float = 0.0,
    cpu_s: float | None = None,
) -> object:
    """Call ``target(*args)`` in a sandboxed child and return its JSON-able result.

    ``target`` is a module-level function or ``"module:function"``; arguments and result
    MUST be JSON-serialisable. Exceptions in the child come back as ``ExtractionError``
    subclasses; anything else that goes wrong (crash, timeout, memory) does too.
    ``cpu_s`` caps the child's CPU time (default: twice its longest wall-clock budget and
    some); the child and its processes die with the calling thread, which this call
    blocks until they are gone.
    """
    cpu_seconds = _cpu_seconds(limits, max_extension_s) if cpu_s is None else cpu_s
    scratch = create_work_dir()
    try:
        request = json.dumps(
            {
                "target": _target_name(target),
                "args": list(args),
                "memory_bytes": limits.memory_bytes,
                "cpu_seconds": max(1, math.ceil(cpu_seconds)),
                "work_dir": str(scratch),
                "sys_path": sys.path,
            }
        ).encode()
        with tempfile.TemporaryFile() as errlog:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
                [
                    sys.executable,
                    "-I",
                    "-c",
                    _BOOT.format(root=_PACKAGE_ROOT, parent=os.getpid()),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errlog,
                env=_child_env(scratch),
                start_new_session=True,
                close_fds=True,
            )
            try:
                outcome = _converse(proc, request, limits, max_extension_s)
            finally:
                _kill_group(proc)
                proc.wait()
                _wait_for_group(proc.pid)
                for pipe in (proc.stdin, proc.stdout):
                    if pipe is not None:
                        pipe.close()
            errlog.seek(max(0, errlog.seek(0, os.SEEK_END) - _STDERR_TAIL))
            stderr_tail = errlog.read().decode("utf-8", "replace")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcome.returncode = proc.returncode
    outcome.cpu_seconds = max(1, math.ceil(cpu_seconds))
    if stderr_tail:
        log.debug("sandbox child stderr (tail): %s", stderr_tail)
    return _interpret(outcome, stderr_tail)


@dataclass
class _Outcome:
    ready: bool = False
    has_result: bool = False
    result: object = None
    error: dict[str, Any] | None = None
    timed_out_after: float | None = None
    overflow: bool = False
    returncode: int | None = None
    cpu_seconds: int = 0
    extensions: list[float] = field(default_factory=list)


def _converse(
    proc: subprocess.Popen[bytes], request: bytes, limits: Limits, max_extension_s: float
) -> _Outcome:
    if proc.stdin is None or proc.stdout is None:
        raise RuntimeError("child started without pipes")
    outcome = _Outcome()
    start = time.monotonic()
    budget = limits.timeout_s
    granted = 0.0
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.write(request)
        proc.stdin.close()
    fd = proc.stdout.fileno()
    buffer = bytearray()
    received = 0
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            remaining = start + budget - time.monotonic()
            if remaining <= 0:
                outcome.timed_out_after = budget
                return outcome
            if not selector.select(remaining):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return outcome
            received += len(chunk)
            if received > limits.max_output_bytes:
                outcome.overflow = True
                return outcome
            scanned = len(buffer)  # a long result arrives in many chunks: scan each once
            buffer += chunk
            while (newline := buffer.find(b"\n", scanned)) >= 0:
                line = bytes(buffer[:newline])
                del buffer[: newline + 1]
                scanned = 0
                message = _parse_message(line)
                if "extend" in message:
                    wanted = _non_negative(message["extend"])
                    extra = min(wanted, max(0.0, max_extension_s - granted))
                    granted += extra
                    budget += extra
                    outcome.extensions.append(extra)
                elif "ready" in message:
                    outcome.ready = True
                elif "result" in message:
                    outcome.has_result = True
                    outcome.result = message["result"]
                elif "error" in message and isinstance(message["error"], dict):
                    outcome.error = message["error"]


def _interpret(outcome: _Outcome, stderr_tail: str) -> object:
    if outcome.timed_out_after is not None:
        raise ResourceLimitError(
            f"Die Verarbeitung der Datei hat das Zeitlimit von "
            f"{math.ceil(outcome.timed_out_after)} Sekunden überschritten und wurde "
            "abgebrochen.",
            code="timeout",
        )
    if outcome.overflow:
        raise ResourceLimitError(
            "Die Datei liefert zu viel Text, um ihn zu speichern.", code="output_too_large"
        )
    if outcome.error is not None:
        raise _error_from_json(outcome.error)
    if outcome.has_result:
        return outcome.result
    if not outcome.ready:
        raise OcrEngineError(
            "Der Prozess für die Texterkennung konnte nicht gestartet werden. "
            "Bitte die IT verständigen.",
            code="sandbox_failed",
            detail=f"exit {outcome.returncode}: {stderr_tail[-1000:]}",
        )
    if outcome.returncode == -signal.SIGXCPU:
        raise ResourceLimitError(
            f"Die Verarbeitung der Datei hat mehr als {outcome.cpu_seconds} Sekunden "
            "Rechenzeit gebraucht und wurde abgebrochen.",
            code="timeout",
            detail=f"exit {outcome.returncode} (RLIMIT_CPU)",
        )
    if outcome.returncode == -signal.SIGKILL:
        # the kernel's OOM killer is the usual sender of a SIGKILL we did not send
        raise ResourceLimitError(
            "Die Verarbeitung der Datei brauchte zu viel Arbeitsspeicher und wurde abgebrochen.",
            code="memory",
            detail=f"exit {outcome.returncode}",
        )
    raise CorruptDocumentError(
        "Die Datei konnte nicht verarbeitet werden: das Leseprogramm ist dabei abgestürzt "
        "(beschädigte Datei oder zu wenig Arbeitsspeicher).",
        code="crashed",
        detail=f"exit {outcome.returncode}: {stderr_tail[-1000:]}",
    )


def _error_from_json(data: dict[str, Any]) -> ExtractionError:
    cls = ERROR_TYPES.get(str(data.get("type")), ExtractionError)
    message = str(data.get("message") or "")[:_MAX_MESSAGE]
    detail = data.get("detail")
    return cls(
        message or "Die Datei konnte nicht verarbeitet werden.",
        code=str(data.get("code") or cls.default_code)[:64],
        detail=None if detail is None else str(detail)[:_STDERR_TAIL],
    )


def _parse_message(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _non_negative(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return 0.0


def _target_name(target: Callable[..., object] | str) -> str:
    name = target if isinstance(target, str) else f"{target.__module__}:{target.__qualname__}"
    module, _, qualname = name.partition(":")
    if not module or not qualname.isidentifier():
        raise ValueError(f"sandbox target must be a module-level function, not {name!r}")
    return name


def _cpu_seconds(limits: Limits, max_extension_s: float) -> float:
    longest = limits.timeout_s + max(0.0, max_extension_s)
    return _CPU_PER_WALL_SECOND * longest + _CPU_ALLOWANCE_S


def _child_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    # temp files of the child and of tesseract land where a dead worker's are found
    env["TMPDIR"] = str(scratch)
    # one OpenMP thread per tesseract: pages run in parallel processes instead
    env["OMP_THREAD_LIMIT"] = "1"
    # glibc reserves 64 MiB of address space per thread arena, which RLIMIT_AS counts
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    # the child is not reaped yet, so its pid (= process group id) cannot have been reused
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_for_group(pgid: int) -> None:
    # a killed tesseract may still be finishing a write into the work folder; removing
    # the folder before it is gone could leave a page image behind
    deadline = time.monotonic() + _GROUP_EXIT_WAIT_S
    while _group_running(pgid) and time.monotonic() < deadline:
        time.sleep(0.01)


def _group_running(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs; zombies do not count.

    Killed orphans stay zombies for good where pid 1 does not reap (a container without
    an init), so asking the kernel (``killpg(pgid, 0)``) would wait out the deadline.
    """
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        names = os.listdir("/proc")
    except OSError:
        return True  # no /proc: the kernel's answer is all there is
    for name in names:
        fields = proc_stat(int(name)) if name.isdigit() else None
        if fields and len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


# ---------------------------------------------------------------------------- child side


def _child_main(parent_pid: int) -> None:
    """Entry point of the sandboxed interpreter (see ``_BOOT``)."""
    _die_with_parent(parent_pid)
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # libraries that print must not corrupt the protocol: fd 1 now goes to the log
    os.dup2(2, 1)
    _channel.append(channel)
    try:
        request = json.loads(sys.stdin.buffer.read())
        _limit_resources(int(request["memory_bytes"]), int(request["cpu_seconds"]))
        _work_dirs.append(Path(str(request["work_dir"])))
        _guard_group()  # before any thread exists: the guard is a fork
        sys.path[:0] = [p for p in request["sys_path"] if p not in sys.path]
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        function = _resolve(str(request["target"]))
    except BaseException as exc:  # a broken installation, not a broken file
        _send(
            {
                "error": _error_json(
                    OcrEngineError(
                        "Der Prozess für die Texterkennung konnte nicht gestartet werden. "
                        "Bitte die IT verständigen.",
                        code="sandbox_failed",
                        detail=f"{type(exc).__name__}: {exc}"[:_STDERR_TAIL],
                    )
                )
            }
        )
        _exit(channel)
    try:
        _send({"ready": True})
        _send({"result": function(*request["args"])})
    except ExtractionError as exc:
        _send({"error": _error_json(exc)})
    except MemoryError:
        _send(
            {
                "error": _error_json(
                    ResourceLimitError(
                        "Die Verarbeitung der Datei brauchte mehr Arbeitsspeicher als "
                        "erlaubt und wurde abgebrochen.",
                        code="memory",
                    )
                )
            }
        )
    except BaseException as exc:  # whatever breaks, the parent gets an answer
        _send(
            {
                "error": _error_json(
                    CorruptDocumentError(
                        "Die Datei konnte nicht verarbeitet werden; sie ist vermutlich "
                        "beschädigt oder ungewöhnlich aufgebaut.",
                        code="unexpected",
                        detail=f"{type(exc).__name__}: {exc}"[:_STDERR_TAIL],
                    )
                )
            }
        )
    finally:
        _exit(channel)


def _exit(channel: IO[str]) -> NoReturn:
    with contextlib.suppress(OSError):
        channel.flush()
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.flush()
    # a guard left to outlive a child that ends normally would be an orphan that no one
    # reaps where pid 1 does not; the parent kills whatever else is left of the group
    for guard in _guards:
        with contextlib.suppress(OSError):
            os.kill(guard, signal.SIGKILL)
            os.waitpid(guard, 0)
    # skip interpreter teardown: it can hang on threads a hostile file left behind
    os._exit(0)


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # SIGXCPU at the soft limit ends the child, unless it was ignored by the worker (an
    # ignored signal stays ignored across exec); the hard limit's SIGKILL ends one that
    # ignores it all the same
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    wanted = (cpu_seconds, cpu_seconds + _CPU_HARD_MARGIN_S)
    if hard != resource.RLIM_INFINITY:
        wanted = (min(wanted[0], hard), hard)
    resource.setrlimit(resource.RLIMIT_CPU, wanted)
    # a crash dump would put document contents on disk
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _die_with_parent(parent_pid: int) -> None:
    """Make the kernel kill this process when ``parent_pid`` (the caller's thread) ends.

    The parent may have died between starting the child and this call; then the child is
    an orphan already and leaves at once. Without ``prctl`` (not Linux) a thread polls.
    """
    bound = _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(1)
    if not bound:
        threading.Thread(
            target=_poll_parent, args=(parent_pid,), name="parent-watch", daemon=True
        ).start()


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_PARENT_POLL_S)
    _kill_own_group()


def _guard_group() -> None:
    """Fork a guard that kills this child's process group as soon as the child dies.

    Tesseract processes are the child's, so the parent's death signal does not reach
    them: without the guard they would read on through every page. The guard holds no
    file descriptor (the parent waits for end-of-file on the child's stdout) and waits
    for the death signal of its own parent, the child. Linux only: elsewhere the child's
    parent watch kills the group while the child still lives.
    """
    if not sys.platform.startswith("linux"):
        return
    child = os.getpid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {_GUARD_SIGNAL})
    try:
        guard = os.fork()
    finally:
        if os.getpid() == child:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {_GUARD_SIGNAL})
    if guard != 0:
        _guards.append(guard)
        return
    try:
        _close_all_descriptors()
        if not _set_parent_death_signal(_GUARD_SIGNAL):
            os._exit(0)
        if os.getppid() == child:
            signal.sigwait({_GUARD_SIGNAL})
        _kill_own_group()
    finally:
        os._exit(0)


def _set_parent_death_signal(signum: int) -> bool:
    """``prctl(PR_SET_PDEATHSIG, signum)``; False where the kernel offers no such thing."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    return bool(prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0)


def _kill_own_group() -> NoReturn:
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(1)


def _close_all_descriptors() -> None:
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3))
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _resolve(name: str) -> Callable[..., object]:
    module_name, _, qualname = name.partition(":")
    function = getattr(importlib.import_module(module_name), qualname)
    if not callable(function):
        raise TypeError(f"{name} is not callable")
    return function  # type: ignore[no-any-return]  # getattr on a module is Any


def _send(message: dict[str, Any]) -> None:
    try:
        line = json.dumps(message, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        line = json.dumps(
            {
                "error": _error_json(
                    ExtractionError(
                        "Das Ergebnis der Texterkennung konnte nicht übertragen werden.",
                        code="bad_result",
                        detail=repr(exc),
                    )
                )
            }
        )
    _channel[0].write(line + "\n")
    _channel[0].flush()


def _error_json(exc: ExtractionError) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": exc.message,
        "code": exc.code,
        "detail": exc.detail,
    }
