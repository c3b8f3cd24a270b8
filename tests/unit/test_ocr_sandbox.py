"""A hostile or broken child fails one call with a clear error, never the caller."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ocr import (
    CorruptDocumentError,
    ExtractionError,
    Limits,
    OcrEngineError,
    ResourceLimitError,
)
from ocr.sandbox import extend_deadline, run_in_sandbox

# --- functions run inside the sandboxed child (module level, so the child can import them)


def add(a: int, b: int) -> int:
    return a + b


def sleep_with_grandchild(pid_file: str) -> None:
    # stands in for a tesseract process that hangs on a hostile page
    grandchild = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(grandchild.pid))
    time.sleep(60)


def allocate(n_bytes: int) -> int:
    return len(bytearray(n_bytes))


def crash() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def fail_plainly() -> None:
    raise ValueError("internal detail /tmp/x.pdf line 42")


def fail_as_extraction_error() -> None:
    raise ResourceLimitError("Die Datei hat 9000 Seiten.", code="too_many_pages")


def print_noise_then_answer() -> str:
    print("noise that is not JSON")
    sys.stdout.flush()
    os.write(1, b'{"result": "forged"}\n')
    return "genuine"


def ask_for_time(wanted: float, sleep_s: float) -> str:
    extend_deadline(wanted)
    time.sleep(sleep_s)
    return "done"


def return_unserialisable() -> object:
    return {1, 2, 3}


def flood(n_bytes: int) -> str:
    return "x" * n_bytes


def exit_at_once() -> None:
    os._exit(3)


# --- tests


def test_result_of_a_child_function_comes_back() -> None:
    assert run_in_sandbox(add, 2, 3) == 5


def test_target_given_by_name_is_resolved_in_the_child() -> None:
    assert run_in_sandbox("ocr.model:validate_languages", "deu+eng") == "deu+eng"


def test_slow_child_is_killed_with_its_process_group_at_the_deadline(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    start = time.monotonic()
    with pytest.raises(ResourceLimitError) as caught:
        run_in_sandbox(sleep_with_grandchild, str(pid_file), limits=Limits(timeout_s=1.5))
    elapsed = time.monotonic() - start
    assert caught.value.code == "timeout"
    assert "Zeitlimit von 2 Sekunden" in str(caught.value)
    assert elapsed < 10
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), "the grandchild outlived the sandbox"


def test_greedy_child_hits_the_memory_limit() -> None:
    limits = Limits(memory_bytes=256 << 20)
    with pytest.raises(ResourceLimitError) as caught:
        run_in_sandbox(allocate, 512 << 20, limits=limits)
    assert caught.value.code == "memory"
    assert "Arbeitsspeicher" in str(caught.value)


def test_allocation_within_the_memory_limit_succeeds() -> None:
    assert run_in_sandbox(allocate, 16 << 20, limits=Limits(memory_bytes=256 << 20)) == 16 << 20


def test_crashing_child_is_reported_as_a_broken_file() -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        run_in_sandbox(crash)
    assert caught.value.code == "crashed"
    assert "abgestürzt" in str(caught.value)


def test_unexpected_exception_gives_a_clerk_message_and_keeps_detail_for_the_log() -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        run_in_sandbox(fail_plainly)
    message = str(caught.value)
    assert "Traceback" not in message
    assert "line 42" not in message
    assert "beschädigt" in message
    assert caught.value.detail is not None
    assert "ValueError" in caught.value.detail


def test_extraction_errors_keep_type_message_and_code() -> None:
    with pytest.raises(ResourceLimitError) as caught:
        run_in_sandbox(fail_as_extraction_error)
    assert str(caught.value) == "Die Datei hat 9000 Seiten."
    assert caught.value.code == "too_many_pages"


def test_output_printed_by_the_child_cannot_forge_the_answer() -> None:
    assert run_in_sandbox(print_noise_then_answer) == "genuine"


def test_child_may_extend_its_deadline_up_to_the_cap() -> None:
    limits = Limits(timeout_s=0.5)
    assert run_in_sandbox(ask_for_time, 5.0, 1.0, limits=limits, max_extension_s=5.0) == "done"
    with pytest.raises(ResourceLimitError):
        run_in_sandbox(ask_for_time, 60.0, 1.5, limits=limits, max_extension_s=0.2)


def test_unserialisable_result_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError) as caught:
        run_in_sandbox(return_unserialisable)
    assert caught.value.code == "bad_result"


def test_flood_of_output_is_cut_off() -> None:
    with pytest.raises(ResourceLimitError) as caught:
        run_in_sandbox(flood, 4 << 20, limits=Limits(max_output_bytes=1 << 20))
    assert caught.value.code == "output_too_large"


def test_child_that_dies_before_answering_is_an_engine_problem_or_crash() -> None:
    with pytest.raises(CorruptDocumentError) as caught:
        run_in_sandbox(exit_at_once)
    assert caught.value.code == "crashed"


def test_only_module_level_functions_can_be_targets() -> None:
    def local() -> None: ...

    with pytest.raises(ValueError, match="module-level"):
        run_in_sandbox(local)
    with pytest.raises(ValueError, match="module-level"):
        run_in_sandbox(lambda: None)


def test_unknown_target_is_an_engine_problem() -> None:
    with pytest.raises(OcrEngineError) as caught:
        run_in_sandbox("ocr.model:does_not_exist")
    assert caught.value.code == "sandbox_failed"


def test_extend_deadline_outside_a_sandbox_does_nothing() -> None:
    extend_deadline(10.0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is dead for our purpose
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return status != "Z"
