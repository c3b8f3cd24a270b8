"""Benchmark of the Whoosh search index: rebuild throughput, size, peak RSS and query latency.

Run: ``.venv/bin/python bench/search.py [--docs 10000,100000] [--queries 200]``. Prints a
markdown table and writes it to ``bench/results/search.md``.

Synthetic corpus (deterministic seed): documents of ~400 words drawn Zipf-like from a
German-like vocabulary (real stop words and domain words plus generated words with
umlauts), spread over N/7 case files and 20 teams, 3 % unfiled (inbox). The rebuild runs
in a spawned child process through ``search.rebuild`` so that its peak RSS is the
rebuild's own. Queries run in this process against the built index with the scope a
caseworker would have; the baseline is the in-memory fake (a linear scan with the same
analysis) over the same documents, and a plain substring scan, for one-word queries.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import IndexedDocument, Scope, SearchQuery, rebuild
from search.memory import InMemorySearchIndex
from search.whoosh_index import WhooshSearchIndex

SEED = 20260101
TEAMS = 20
WORDS_PER_DOC = 400
RESULTS = Path(__file__).resolve().parent / "results" / "search.md"

STOP_WORDS = [
    "der",
    "die",
    "und",
    "in",
    "den",
    "von",
    "zu",
    "das",
    "mit",
    "sich",
    "des",
    "auf",
    "für",
    "ist",
    "im",
    "dem",
    "nicht",
    "ein",
    "eine",
    "als",
    "auch",
    "es",
    "an",
    "werden",
    "aus",
    "er",
    "hat",
    "dass",
    "sie",
    "nach",
    "wird",
    "bei",
    "einer",
    "um",
    "am",
    "sind",
    "noch",
    "wie",
    "einem",
    "über",
    "einen",
    "so",
    "zum",
    "war",
    "haben",
    "nur",
    "oder",
    "aber",
    "vor",
    "zur",
    "bis",
    "mehr",
    "durch",
    "man",
]
DOMAIN_WORDS = [
    "Antrag",
    "Anträge",
    "Anträgen",
    "Bescheid",
    "Bescheide",
    "Bescheiden",
    "Aufenthaltserlaubnis",
    "Aufenthaltserlaubnisse",
    "Niederlassungserlaubnis",
    "Duldung",
    "Duldungen",
    "Visum",
    "Visa",
    "Reisepass",
    "Reisepässe",
    "Meldebescheinigung",
    "Straße",
    "Straßen",
    "Arbeitgeber",
    "Arbeitgeberin",
    "Einbürgerung",
    "Widerspruch",
    "Widersprüche",
    "Anhörung",
    "Frist",
    "Fristen",
    "Familiennachzug",
    "Ehegatte",
    "Ehegattin",
    "Kinder",
    "Geburtsurkunde",
    "Heiratsurkunde",
    "Mietvertrag",
    "Gehaltsnachweis",
    "Krankenversicherung",
    "Sprachnachweis",
    "Integrationskurs",
    "Ausreise",
    "Abschiebung",
    "Verlängerung",
    "Fiktionsbescheinigung",
    "Beschäftigung",
    "Erwerbstätigkeit",
    "Studium",
    "Hochschule",
    "Ausbildung",
    "Lebensunterhalt",
    "Sicherung",
    "Wohnraum",
    "Nachweis",
    "Nachweise",
    "Unterlagen",
    "Vorsprache",
    "Termin",
    "Gebühr",
    "Gebühren",
    "Zahlung",
    "Ausländerbehörde",
    "Landkreis",
    "Sachbearbeitung",
    "Stellungnahme",
    "Rechtsanwalt",
    "Rechtsanwältin",
]
SYLLABLES = [
    "ab",
    "an",
    "be",
    "bei",
    "da",
    "de",
    "ein",
    "ent",
    "er",
    "ge",
    "her",
    "hin",
    "in",
    "mit",
    "nach",
    "ob",
    "über",
    "um",
    "un",
    "ver",
    "vor",
    "weg",
    "zu",
    "ach",
    "alt",
    "amt",
    "arb",
    "aus",
    "bahn",
    "bau",
    "berg",
    "blatt",
    "brief",
    "bund",
    "burg",
    "dach",
    "dorf",
    "druck",
    "fall",
    "feld",
    "form",
    "frau",
    "gang",
    "geld",
    "grund",
    "hand",
    "haus",
    "heim",
    "hof",
    "kauf",
    "kind",
    "kreis",
    "lag",
    "land",
    "lauf",
    "leb",
    "macht",
    "mann",
    "mark",
    "nahm",
    "ort",
    "pflicht",
    "platz",
    "rat",
    "recht",
    "reich",
    "ruf",
    "sache",
    "satz",
    "schaft",
    "schein",
    "schrift",
    "schul",
    "see",
    "sicht",
    "sinn",
    "stadt",
    "stand",
    "stell",
    "stück",
    "tag",
    "teil",
    "tor",
    "trag",
    "tum",
    "wahl",
    "weg",
    "welt",
    "werk",
    "wert",
    "zeit",
    "zug",
    "zahl",
    "größ",
    "läng",
    "höh",
    "kürz",
    "wärm",
    "schön",
    "müh",
    "bäck",
    "flüg",
]
SUFFIXES = ("", "", "", "e", "en", "er", "es", "ung", "ungen", "lich", "heit", "keit", "s")
GIVEN = [
    "Hans",
    "Anna",
    "Mohammed",
    "Muhammad",
    "Ayşe",
    "Fatma",
    "Olena",
    "Ivan",
    "Maria",
    "Ahmad",
    "Leyla",
    "Jan",
    "Sofia",
]
FAMILY = [
    "Müller",
    "Mueller",
    "Yılmaz",
    "Kaya",
    "Schmidt",
    "Hoffmann",
    "Petrenko",
    "Nguyen",
    "Haddad",
    "Öztürk",
]
DOC_TYPES = ("Antrag", "Bescheid", "Nachweis", "Schreiben", "Vermerk", "Pass")


@dataclass(frozen=True)
class Corpus:
    """The vocabulary and the document generator; identical in every process."""

    size: int
    vocab: tuple[str, ...]
    cum_weights: tuple[float, ...]

    @classmethod
    def build(cls, size: int) -> Corpus:
        rng = _rng(SEED)
        generated: set[str] = set()
        while len(generated) < 20_000:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
            word += rng.choice(SUFFIXES)
            generated.add(word.capitalize() if rng.random() < 0.3 else word)
        rest = sorted(generated)
        rng.shuffle(rest)
        # Domain words sit in the middle ranks, where real letters use them.
        for i, word in enumerate(DOMAIN_WORDS):
            rest.insert(30 + i * 7, word)
        vocab = tuple(STOP_WORDS + rest)
        acc = 0.0
        cum: list[float] = []
        for rank in range(1, len(vocab) + 1):
            acc += 1.0 / rank**1.05
            cum.append(acc)
        return cls(size, vocab, tuple(cum))

    def case_of(self, document_id: int) -> tuple[int | None, int | None]:
        rng = _rng(SEED ^ (document_id * 2654435761))
        if rng.random() < 0.03:
            return None, None
        case_id = rng.randint(1, max(1, self.size // 7))
        return case_id, team_of(case_id)

    def words(self, document_id: int) -> list[str]:
        rng = _rng(SEED + document_id * 1_000_003)
        n = rng.randint(WORDS_PER_DOC - 100, WORDS_PER_DOC + 100)
        return rng.choices(self.vocab, cum_weights=self.cum_weights, k=n)

    def document(self, document_id: int) -> IndexedDocument:
        rng = _rng(SEED - document_id)
        case_id, team_id = self.case_of(document_id)
        words = self.words(document_id)
        sentences: list[str] = []
        for start in range(0, len(words), 12):
            sentence = " ".join(words[start : start + 12])
            sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        reference = "" if case_id is None else f"MA-{1000 + case_id % 9000}-2026-{case_id:05d}"
        if reference and rng.random() < 0.5:
            sentences.insert(1, f"Az.: {reference}")
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        return IndexedDocument(
            document_id=document_id,
            case_id=case_id,
            team_id=team_id,
            title=f"{rng.choice(DOC_TYPES)} {family}",
            text="\n".join(sentences),
            reference=reference,
            person_names=(f"{given} {family}",),
            doc_type=rng.choice(DOC_TYPES),
            received=date(2020, 1, 1) + timedelta(days=rng.randint(0, 2000)),
        )

    def documents(self) -> Iterator[IndexedDocument]:
        return (self.document(i) for i in range(1, self.size + 1))


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible test data, nothing secret


def team_of(case_id: int) -> int:
    return case_id % TEAMS + 1


def _child(path: str, size: int, task: str, settings: tuple[int, int], out: str) -> None:
    """Runs in a spawned process so that its peak RSS belongs to this one task."""
    batch_size, limitmb = settings
    index = WhooshSearchIndex(Path(path), limitmb=limitmb)
    started = time.perf_counter()
    if task == "rebuild":
        rebuild(index, Corpus.build(size).documents(), batch_size=batch_size, optimize=False)
    else:
        index.optimize()
    seconds = time.perf_counter() - started
    index.close()
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(out).write_text(json.dumps({"seconds": seconds, "maxrss_mib": maxrss_kib / 1024}))


def in_child(path: Path, size: int, task: str, args: argparse.Namespace) -> dict[str, float]:
    out = path.parent / f"{task}.json"
    ctx = multiprocessing.get_context("spawn")
    settings = (args.batch_size, args.limitmb)
    child = ctx.Process(target=_child, args=(str(path), size, task, settings, str(out)))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{task} failed with exit code {child.exitcode}")
    result: dict[str, float] = json.loads(out.read_text())
    return result


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class Workload:
    one_word: list[str]
    two_words: list[str]
    phrases: list[str]


def make_workload(corpus: Corpus, scope_docs: list[int], n: int) -> Workload:
    """Single words from the middle ranks (what people search for); word pairs and phrases
    taken from documents in scope, so that they have hits."""
    rng = _rng(SEED + 7)
    candidates = list(corpus.vocab[len(STOP_WORDS) : len(STOP_WORDS) + 3000])
    one = [rng.choice(candidates) for _ in range(n)]
    stop = set(STOP_WORDS)
    two: list[str] = []
    phrases: list[str] = []
    while len(two) < n or len(phrases) < n:
        words = corpus.words(rng.choice(scope_docs))
        i = rng.randrange(len(words) - 1)
        if words[i] in stop or words[i + 1] in stop:
            continue
        if len(phrases) < n:
            phrases.append(f'"{words[i]} {words[i + 1]}"')
        if len(two) < n:
            other = rng.choice([w for w in words if w not in stop])
            two.append(f"{words[i]} {other}")
    return Workload(one, two, phrases)


def time_queries(run: Callable[[str], int], texts: list[str]) -> tuple[float, float, float]:
    """(p50 ms, p95 ms, mean hits) over the texts."""
    latencies: list[float] = []
    totals: list[int] = []
    for text in texts:
        started = time.perf_counter()
        totals.append(run(text))
        latencies.append((time.perf_counter() - started) * 1000)
    return percentile(latencies, 50), percentile(latencies, 95), statistics.fmean(totals)


def segment_count(path: Path) -> int:
    return len(list(path.glob("*.seg"))) or 1


def bench_size(size: int, args: argparse.Namespace, workdir: Path) -> list[str]:
    corpus = Corpus.build(size)
    path = workdir / f"index-{size}"
    built = in_child(path, size, "rebuild", args)
    rows = [
        f"| {size:,} | rebuild (batches of {args.batch_size:,}) | "
        f"{size / built['seconds']:,.0f} docs/s ({built['seconds']:.0f} s) | "
        f"peak RSS {built['maxrss_mib']:,.0f} MiB, index {dir_size(path) / 2**20:,.0f} MiB "
        f"in {segment_count(path)} segments |"
    ]

    all_cases = sorted({c for c, _ in map(corpus.case_of, range(1, size + 1)) if c})
    rng = _rng(SEED + 3)
    case_scope = Scope(case_ids=frozenset(rng.sample(all_cases, max(1, len(all_cases) // 5))))
    scope_docs = [i for i in range(1, size + 1) if case_scope.allows(*corpus.case_of(i))]
    workload = make_workload(corpus, scope_docs, args.queries)
    scopes = {
        f"{len(case_scope.case_ids):,} case ids": case_scope,
        "1 team": Scope(team_ids=frozenset({3})),
        "everything": Scope.unrestricted(),
    }

    rows += query_rows(size, path, scopes, workload, "as built")
    rows += commit_rows(size, path, corpus, case_scope, workload)
    if args.optimize:
        merged = in_child(path, size, "optimize", args)
        rows.append(
            f"| {size:,} | optimize (merge into one segment) | {merged['seconds']:.0f} s | "
            f"peak RSS {merged['maxrss_mib']:,.0f} MiB, index {dir_size(path) / 2**20:,.0f} MiB |"
        )
        rows += query_rows(size, path, scopes, workload, "optimized")

    index = WhooshSearchIndex(path)
    try:
        whoosh_p50, _, _ = time_queries(
            lambda t: index.search(SearchQuery(t, case_scope)).total, workload.one_word[:50]
        )
    finally:
        index.close()
    rows.extend(baselines(corpus, case_scope, workload, whoosh_p50, size))
    return rows


def query_rows(
    size: int, path: Path, scopes: dict[str, Scope], workload: Workload, state: str
) -> list[str]:
    """Latency per query kind and scope; the first query of a scope also builds its filter."""
    rows: list[str] = []
    index = WhooshSearchIndex(path)
    try:
        for label, scope in scopes.items():

            def run(text: str, scope: Scope = scope) -> int:
                return index.search(SearchQuery(text, scope)).total

            started = time.perf_counter()
            run(workload.one_word[-1])
            first_ms = (time.perf_counter() - started) * 1000
            docs_in_scope = index.count(scope)
            for kind, texts in (
                ("one word", workload.one_word),
                ("two words", workload.two_words),
                ("phrase", workload.phrases),
            ):
                p50, p95, hits = time_queries(run, texts)
                rows.append(
                    f"| {size:,} | {state}: {kind}, scope {label} ({docs_in_scope:,} docs) | "
                    f"p50 {p50:.1f} ms, p95 {p95:.1f} ms | mean total {hits:,.0f} |"
                )
            rows.append(
                f"| {size:,} | {state}: first query of scope {label} (builds its filter) | "
                f"{first_ms:.1f} ms | |"
            )
    finally:
        index.close()
    return rows


def commit_rows(
    size: int, path: Path, corpus: Corpus, scope: Scope, workload: Workload
) -> list[str]:
    """What the worker's one-document commits cost the next query of a caseworker.

    The writer is a second index object, as the worker process would be; queries after
    each commit reopen the searcher and scope only the new segment.
    """
    reader = WhooshSearchIndex(path)
    writer = WhooshSearchIndex(path)
    uncached = WhooshSearchIndex(path, filter_cache_size=0)
    texts = workload.one_word[:50]
    try:
        reader.search(SearchQuery("x", scope))
        latencies: list[float] = []
        for i, text in enumerate(texts):
            writer.index([corpus.document(size + 1 + i)])
            started = time.perf_counter()
            reader.search(SearchQuery(text, scope))
            latencies.append((time.perf_counter() - started) * 1000)
        p50, p95, _ = time_queries(
            lambda t: uncached.search(SearchQuery(t, scope)).total, texts[:20]
        )
    finally:
        writer.delete(range(size + 1, size + 1 + len(texts)))
        for index in (reader, writer, uncached):
            index.close()
    return [
        f"| {size:,} | one word, {len(scope.case_ids):,} case ids, a worker commit before "
        f"each query | p50 {percentile(latencies, 50):.1f} ms, "
        f"p95 {percentile(latencies, 95):.1f} ms | per-segment filter cache |",
        f"| {size:,} | one word, {len(scope.case_ids):,} case ids, filter cache off | "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms | scope computed per query |",
    ]


def baselines(
    corpus: Corpus, scope: Scope, workload: Workload, whoosh_p50: float, size: int
) -> list[str]:
    """Linear scans over the same documents in this process, for one-word queries."""
    rows: list[str] = []
    texts = [d.text.lower() for d in corpus.documents() if scope.allows(d.case_id, d.team_id)]
    sample = workload.one_word[:50]
    p50, p95, _ = time_queries(lambda w: sum(1 for t in texts if w.lower() in t), sample)
    rows.append(
        f"| {size:,} | baseline: substring scan, one word (no analysis) | "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms | Whoosh p50 = {whoosh_p50 / p50:.2f}x scan |"
    )
    if size <= 20_000:
        fake = InMemorySearchIndex()
        fake.index(corpus.documents())
        p50, p95, _ = time_queries(lambda t: fake.search(SearchQuery(t, scope)).total, sample)
        rows.append(
            f"| {size:,} | baseline: in-memory fake (linear scan, same analysis), one word | "
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms | Whoosh p50 = {whoosh_p50 / p50:.3f}x fake |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", default="10000", help="comma-separated corpus sizes")
    parser.add_argument("--queries", type=int, default=200, help="queries per type and scope")
    parser.add_argument("--batch-size", type=int, default=2000, help="documents per commit")
    parser.add_argument("--limitmb", type=int, default=128, help="Whoosh posting pool size")
    parser.add_argument(
        "--optimize",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure queries after merging the index into one segment",
    )
    parser.add_argument("--workdir", type=Path, help="where indexes are built (default: temp)")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ecase-bench-search-"))
    header = [
        "# Search benchmark (Whoosh)",
        "",
        f"Machine: {platform.machine()}, {multiprocessing.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.platform()}; "
        f"limitmb {args.limitmb}, {args.queries} queries per row (50 for commit and "
        "baseline rows). Latency includes snippets for the 20 hits of the first page.",
        "",
        "| docs | measure | result | notes |",
        "|---:|---|---|---|",
    ]
    rows: list[str] = []
    try:
        for size in (int(s) for s in args.docs.split(",")):
            rows.extend(bench_size(size, args, workdir))
            print("\n".join(header + rows), flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(header + rows) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
