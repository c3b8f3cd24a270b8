"""Run every benchmark in this directory in turn (``make bench``); each prints its own table.

Results go to ``bench/results/*.md``; copy the numbers worth keeping into docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("ocr.py", "search.py")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        script = HERE / name
        print(f"== {name}", flush=True)
        if subprocess.run([sys.executable, str(script), *sys.argv[1:]], check=False).returncode:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
