"""A worker killed mid-OCR: real tesseract stops with it, page images are swept away."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ocr import WORK_DIR_PREFIX, remove_stale_work_dirs, samples
from tests.support.tesseract import needs_tesseract

pytestmark = [
    needs_tesseract,
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

REPO = Path(__file__).resolve().parents[2]
PATIENCE_S = 60.0
#: Enough full A4 pages at 300 dpi that the job is still at its first pages when killed.
PAGES = 40


def processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (ppid, pgrp, state, command name) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0], name)
    return found


def running(pids: set[int]) -> set[int]:
    table = processes()
    return {pid for pid in pids if pid in table and table[pid][2] not in ("Z", "X")}


def wait_for(find: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + PATIENCE_S
    while not (found := find()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting {PATIENCE_S:.0f} s for {what}")
        time.sleep(0.05)
    return found


def test_worker_killed_during_ocr_leaves_no_tesseract_and_no_page_images(
    tmp_path: Path,
) -> None:
    page = samples.render_page(samples.letter_lines(1))
    source = tmp_path / "scan.pdf"
    source.write_bytes(samples.image_pdf([page] * PAGES))
    root = tmp_path / "tmp"
    root.mkdir()
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(REPO)!r})
        from ocr import extract_in_sandbox
        extract_in_sandbox({str(source)!r}, {str(tmp_path / "derived")!r}, processes=1)
        """
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env={**os.environ, "TMPDIR": str(root)}
    )
    group: set[int] = set()
    try:

        def child() -> int:
            return next((p for p, (ppid, *_) in processes().items() if ppid == worker.pid), 0)

        sandbox_child = wait_for(child, "the sandboxed child")
        assert isinstance(sandbox_child, int)

        def ocr_group() -> set[int]:
            group = {p for p, (_, pgrp, *_) in processes().items() if pgrp == sandbox_child}
            names = {processes().get(p, (0, 0, "", ""))[3] for p in group}
            return group if "tesseract" in names else set()

        found = wait_for(ocr_group, "tesseract to start on the first page")
        assert isinstance(found, set)
        group = found
        (folder,) = root.glob(f"{WORK_DIR_PREFIX}*")
        wait_for(lambda: list(folder.glob("page-*")), "a page image in the work folder")
        # a tesseract hung on a hostile page: left alone, it would never end by itself
        for pid in group:
            if processes().get(pid, (0, 0, "", ""))[3] == "tesseract":
                os.kill(pid, signal.SIGSTOP)

        worker.send_signal(signal.SIGKILL)
        worker.wait()

        wait_for(lambda: not running(group), "the child and tesseract to die with the worker")
        assert not any(
            pgrp == sandbox_child and state not in ("Z", "X")
            for _, pgrp, state, _ in processes().values()
        )
        assert folder.is_dir(), "a SIGKILLed worker cannot clean up; the sweep must"
        assert remove_stale_work_dirs(root) == 1
        assert list(root.iterdir()) == []
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()
        for pid in running(group):  # only when the test failed
            os.kill(pid, signal.SIGKILL)
