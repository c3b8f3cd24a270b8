"""OCR throughput of ecase next to raw tesseract on the same pages, in the same run.

Usage: .venv/bin/python bench/ocr.py [--pages 10] [--processes N] [--repeat 2]

Generates a German letter scanned at 300 dpi (PNG page images, an image-only PDF and a
multi-page TIFF) and a born-digital PDF, then measures pages per second for:

* raw tesseract: ``tesseract page.png out -l deu+eng txt`` on the same page images, the pages
  spread over N processes with ``OMP_THREAD_LIMIT=1`` - the same shape ecase uses;
* ``extract_in_sandbox`` on the image-only PDF and on the TIFF (rasterising, orientation
  check, words, searchable PDF, sandbox start included);
* ``extract_in_sandbox`` on the born-digital PDF (text layer only).

Prints a markdown table and writes it to bench/results/ocr.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

# run as a script, this file's folder is on sys.path and this very file would shadow the
# ocr package; the repository root goes in front of it
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr import Limits, extract_in_sandbox, samples

RESULTS = Path(__file__).resolve().parent / "results" / "ocr.md"

RAW_TIF = "raw tesseract, TIFF's pages"
RAW_PDF = "raw tesseract, PDF's pages"
ECASE_TIF = "ecase, multi-page TIFF"
ECASE_PDF = "ecase, image-only PDF"
ECASE_TEXT = "ecase, born-digital PDF"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10, help="scanned pages (default 10)")
    parser.add_argument("--text-pages", type=int, default=200, help="born-digital pages")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; each case's best counts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ecase-bench-ocr-") as tmp:
        work = Path(tmp)
        inputs = _make_inputs(work, args.pages, args.text_pages)
        limits = Limits(timeout_s=300, page_timeout_s=120)
        n, procs = args.pages, args.processes

        def ecase(source: Path) -> Callable[[], None]:
            def run() -> None:
                out = Path(tempfile.mkdtemp(dir=work))
                result = extract_in_sandbox(source, out, limits=limits, processes=procs)
                if result.page_count != len(result.pages):
                    raise SystemExit("page count mismatch")

            return run

        cases: list[tuple[str, int, Callable[[], None]]] = [
            (RAW_TIF, n, lambda: _raw(inputs.tif_pages, work, procs)),
            (RAW_PDF, n, lambda: _raw(inputs.pdf_pages, work, procs)),
            (ECASE_TIF, n, ecase(inputs.tif)),
            (ECASE_PDF, n, ecase(inputs.pdf)),
            (ECASE_TEXT, args.text_pages, ecase(inputs.text_pdf)),
        ]
        # rounds interleave the cases, so drift in a shared VM's speed hits all alike
        times: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(max(args.repeat, 1)):
            for name, _, run in cases:
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        rows = [(name, pages, min(times[name])) for name, pages, _ in cases]

    rate = {name: pages / seconds for name, pages, seconds in rows}
    baseline = {ECASE_TIF: RAW_TIF, ECASE_PDF: RAW_PDF}
    lines = [
        f"# OCR benchmark ({time.strftime('%Y-%m-%d')})",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{_tesseract_version()}. Scan: {n} A4 pages of German letter text, 300 dpi, "
        f"grey; {procs} pages in parallel, OMP_THREAD_LIMIT=1; best of {args.repeat} "
        "interleaved rounds (the median compares raw and ecase within each round). Raw "
        "tesseract (`tesseract page.png out -l deu+eng txt`) reads the page images as PNG: "
        "the TIFF's pages, and the PDF's pages rasterised beforehand "
        "(the PDF holds them as JPEG, as scanners write them). ecase reads the TIFF or the "
        "PDF itself and also rasterises, checks orientation, returns words and writes the "
        "searchable PDF; its time includes starting the sandbox.",
        "",
        "| case | pages | best s | pages/s | ecase/raw (best) | ecase/raw (median of rounds) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, pages, seconds in rows:
        best = median = ""
        if name in baseline:
            raw = baseline[name]
            best = f"{rate[name] / rate[raw]:.2f}"
            per_round = [r / e for r, e in zip(times[raw], times[name], strict=True)]
            median = f"{statistics.median(per_round):.2f}"
        lines.append(f"| {name} | {pages} | {seconds:.2f} | {rate[name]:.2f} | {best} | {median} |")
    lines += [
        "",
        "Goals: ecase on scans >= 0.9 x raw tesseract; born-digital >= 50 pages/s.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")


@dataclass(frozen=True)
class _Inputs:
    tif: Path
    tif_pages: list[Path]
    pdf: Path
    pdf_pages: list[Path]
    text_pdf: Path


def _make_inputs(work: Path, pages: int, text_pages: int) -> _Inputs:
    images = [
        samples.render_page(samples.letter_lines(i, width=75) * 2, font_pt=11)
        for i in range(1, pages + 1)
    ]
    tif = work / "scan.tif"
    tif.write_bytes(samples.tiff(images))
    pdf = work / "scan.pdf"
    pdf.write_bytes(samples.image_pdf(images))
    tif_pages, pdf_pages = [], []
    document = pypdfium2.PdfDocument(pdf)
    for i, image in enumerate(images):
        tif_pages.append(work / f"tif-page-{i:03d}.png")
        image.save(tif_pages[-1], dpi=(300, 300))
        pdf_pages.append(work / f"pdf-page-{i:03d}.png")
        rendered = document[i].render(scale=300 / 72, grayscale=True).to_pil()
        rendered.save(pdf_pages[-1], dpi=(300, 300))
    document.close()
    text_pdf = work / "letters.pdf"
    text_pdf.write_bytes(samples.text_pdf([samples.letter_lines(i) for i in range(text_pages)]))
    return _Inputs(tif=tif, tif_pages=tif_pages, pdf=pdf, pdf_pages=pdf_pages, text_pdf=text_pdf)


def _raw(pngs: list[Path], work: Path, processes: int) -> None:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(png: Path) -> None:
        base = work / f"raw-{png.stem}"
        command = ["tesseract", str(png), str(base), "-l", "deu+eng", "txt"]
        subprocess.run(command, env=env, check=True, capture_output=True)

    # threads only wait: each page is its own tesseract process
    with ThreadPoolExecutor(max_workers=processes) as pool:
        list(pool.map(one, pngs))


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _tesseract_version() -> str:
    try:
        out = subprocess.run(
            ["tesseract", "--version"], check=False, capture_output=True, text=True
        )
    except OSError:
        return "tesseract missing"
    return (out.stdout or out.stderr).splitlines()[0]


if __name__ == "__main__":
    main()
