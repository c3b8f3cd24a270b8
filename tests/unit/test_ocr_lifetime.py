"""A sandboxed child never outlives its worker, nor its CPU budget, nor its work folder.

Real processes throughout: a "worker" is a Python process that runs a sandboxed job and is
then SIGKILLed, so that no ``finally`` of it runs. Waits poll generously; nothing asserts
how fast anything happens.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ocr import (
    WORK_DIR_PREFIX,
    CorruptDocumentError,
    Limits,
    ResourceLimitError,
    create_work_dir,
    remove_stale_work_dirs,
)
from ocr.sandbox import run_in_sandbox, work_dir

REPO = Path(__file__).resolve().parents[2]
PATIENCE_S = 30.0

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="process lifetime is asserted via /proc"
)

# --- functions run inside the sandboxed child (module level, so the child can import them)


def work_with_grandchild(pid_file: str) -> None:
    # stands in for OCR: a tesseract-like grandchild and page images in the work folder
    grandchild = subprocess.Popen(["sleep", "600"])
    (work_dir() / "page-00001.tif").write_bytes(b"personal data")
    partial = Path(pid_file + ".part")
    partial.write_text(json.dumps({"child": os.getpid(), "grandchild": grandchild.pid}))
    partial.replace(pid_file)
    time.sleep(600)


def burn_cpu() -> None:
    while True:
        pass


def cpu_limit() -> list[int]:
    return list(resource.getrlimit(resource.RLIMIT_CPU))


def where_temp_files_go() -> dict[str, str]:
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(b"scratch")
    return {"work_dir": str(work_dir()), "temp_file": handle.name}


def crash_after_writing_scratch() -> None:
    (work_dir() / "page-00001.tif").write_bytes(b"personal data")
    os.kill(os.getpid(), signal.SIGSEGV)


# --- helpers


def alive(pid: int) -> bool:
    """Running, that is: neither gone nor a zombie (pid 1 may never reap an orphan)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def group_members(pgid: int) -> set[int]:
    members = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                members.add(int(entry.name))
    return members


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {PATIENCE_S:.0f} s for {what}")
        time.sleep(0.05)


def work_dirs(root: Path) -> list[Path]:
    return sorted(root.glob(f"{WORK_DIR_PREFIX}*"))


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process's temp folder, where ``run_in_sandbox`` puts its work folders."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Start a worker process running ``script`` with its temp folder in tmp_path/tmp."""
    started: list[subprocess.Popen[bytes]] = []
    root = tmp_path / "tmp"
    root.mkdir(exist_ok=True)

    def start(script: str) -> subprocess.Popen[bytes]:
        code = f"import sys; sys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(script)
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env={**os.environ, "TMPDIR": str(root)},
            stdin=subprocess.PIPE,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdin is not None:
            proc.stdin.close()


# --- a killed worker


def test_killed_worker_takes_its_child_and_grandchild_and_leaves_a_sweepable_folder(
    tmp_path: Path, worker: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    pid_file = tmp_path / "pids.json"
    root = tmp_path / "tmp"
    parent = worker(
        f"""
        from ocr import Limits
        from ocr.sandbox import run_in_sandbox
        run_in_sandbox(
            "tests.unit.test_ocr_lifetime:work_with_grandchild",
            {str(pid_file)!r},
            limits=Limits(timeout_s=600),
        )
        """
    )
    wait_until(pid_file.exists, "the sandboxed job to start")
    pids = json.loads(pid_file.read_text())
    child, grandchild = pids["child"], pids["grandchild"]
    group = group_members(child)
    assert {child, grandchild} <= group
    assert len(work_dirs(root)) == 1

    parent.send_signal(signal.SIGKILL)
    parent.wait()

    wait_until(lambda: not any(alive(pid) for pid in group), "the job's processes to die")
    assert group_members(child) == set()
    left = work_dirs(root)
    assert len(left) == 1, "the killed worker could not remove its folder itself"
    assert remove_stale_work_dirs(root) == 1
    assert work_dirs(root) == []


def test_child_whose_parent_is_already_gone_leaves_at_once() -> None:
    # the parent may die between starting the child and its prctl; pid -1 is nobody's
    boot = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); "
        "from ocr.sandbox import _child_main; _child_main(-1)"
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", boot],
        input=b"",
        capture_output=True,
        timeout=PATIENCE_S,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == b"", "the orphan started working"


# --- the child's own CPU limit


def test_cpu_burning_child_is_stopped_by_its_own_cpu_limit() -> None:
    with pytest.raises(ResourceLimitError) as caught:
        run_in_sandbox(burn_cpu, limits=Limits(timeout_s=240), cpu_s=1)
    assert caught.value.code == "timeout"
    assert "Rechenzeit" in str(caught.value)
    assert caught.value.detail is not None
    assert "RLIMIT_CPU" in caught.value.detail


def test_default_cpu_limit_leaves_headroom_over_the_longest_wall_clock_budget() -> None:
    limit = run_in_sandbox(cpu_limit, limits=Limits(timeout_s=30), max_extension_s=20)
    assert isinstance(limit, list)
    soft, hard = limit
    assert soft != resource.RLIM_INFINITY
    assert soft >= 2 * (30 + 20)
    assert hard > soft


# --- work folders of a call that ends


def test_temp_files_of_the_child_go_to_its_work_folder_which_the_call_removes(
    temp_root: Path,
) -> None:
    answer = run_in_sandbox(where_temp_files_go)
    assert isinstance(answer, dict)
    folder = Path(answer["work_dir"])
    assert folder.parent == temp_root
    assert folder.name.startswith(WORK_DIR_PREFIX)
    assert Path(answer["temp_file"]).parent == folder
    assert not folder.exists()
    assert work_dirs(temp_root) == []


def test_a_crashed_child_leaves_no_work_folder(temp_root: Path) -> None:
    with pytest.raises(CorruptDocumentError):
        run_in_sandbox(crash_after_writing_scratch)
    assert work_dirs(temp_root) == []


def test_work_dir_outside_a_sandbox_is_refused() -> None:
    with pytest.raises(RuntimeError, match="sandboxed child"):
        work_dir()


# --- the sweep at worker start


def test_sweep_leaves_a_live_workers_folder_alone_and_removes_it_once_it_died(
    tmp_path: Path, worker: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    root = tmp_path / "tmp"
    other = worker(
        """
        from ocr import create_work_dir
        create_work_dir()
        sys.stdin.read()  # lives until the test closes its stdin
        """
    )
    wait_until(lambda: len(work_dirs(root)) == 1, "the other worker's folder")
    (theirs,) = work_dirs(root)
    mine = create_work_dir(root)

    assert remove_stale_work_dirs(root) == 0
    assert theirs.is_dir()
    assert mine.is_dir()

    assert other.stdin is not None
    other.stdin.close()
    other.wait(timeout=PATIENCE_S)  # ends without removing its folder, as if killed
    assert remove_stale_work_dirs(root) == 1
    assert work_dirs(root) == [mine]


def test_sweep_removes_a_folder_whose_pid_now_belongs_to_another_process(
    tmp_path: Path,
) -> None:
    folder = create_work_dir(tmp_path)
    marker = folder / ".owner"
    owner = json.loads(marker.read_text())
    owner["start"] -= 1  # same pid, started at another time: not the owner
    marker.write_text(json.dumps(owner))
    assert remove_stale_work_dirs(tmp_path) == 1
    assert not folder.exists()


def test_sweep_removes_a_long_untouched_folder_even_of_a_live_owner(tmp_path: Path) -> None:
    fresh, old = create_work_dir(tmp_path), create_work_dir(tmp_path)
    three_days_ago = time.time() - 3 * 24 * 3600
    os.utime(old, (three_days_ago, three_days_ago))
    assert remove_stale_work_dirs(tmp_path) == 1
    assert work_dirs(tmp_path) == [fresh]
    assert remove_stale_work_dirs(tmp_path, older_than=0) == 1
    assert work_dirs(tmp_path) == []


def test_sweep_touches_nothing_but_marked_or_abandoned_folders_of_the_prefix(
    tmp_path: Path,
) -> None:
    foreign = tmp_path / "ecase-extract-abc"
    foreign.mkdir()
    not_a_folder = tmp_path / f"{WORK_DIR_PREFIX}file"
    not_a_folder.write_text("x")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    (tmp_path / f"{WORK_DIR_PREFIX}link").symlink_to(target, target_is_directory=True)
    being_created = tmp_path / f"{WORK_DIR_PREFIX}new"  # no marker yet
    being_created.mkdir()
    abandoned = tmp_path / f"{WORK_DIR_PREFIX}abandoned"
    abandoned.mkdir()
    an_hour_ago = time.time() - 3600
    os.utime(abandoned, (an_hour_ago, an_hour_ago))

    assert remove_stale_work_dirs(tmp_path) == 1

    assert not abandoned.exists()
    assert being_created.is_dir()
    assert foreign.is_dir()
    assert not_a_folder.is_file()
    assert (target / "keep.txt").is_file()
    assert (tmp_path / f"{WORK_DIR_PREFIX}link").is_symlink()


def test_sweep_of_a_missing_root_removes_nothing(tmp_path: Path) -> None:
    assert remove_stale_work_dirs(tmp_path / "missing") == 0
