"""Run every benchmark in this directory in turn (``make bench``); each prints its own table.

Results go to ``bench/results/*.md`` (web.py also writes ``web.json``); copy the numbers
worth keeping into docs/benchmarks.md.
Arguments are passed on to every benchmark, except ``--quick``, which only the scripts in
``QUICK`` understand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("ocr.py", "ingest.py", "batch.py", "search.py", "web.py")
QUICK = frozenset({"ingest.py", "web.py"})


def main() -> int:
    failed: list[str] = []
    for name in BENCHMARKS:
        script = HERE / name
        args = [a for a in sys.argv[1:] if a != "--quick" or name in QUICK]
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(script), *args], check=False).returncode:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
