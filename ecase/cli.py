"""The ``ecase`` command: set-up, serving, administration and integrity checks."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from ecase.bootstrap import (
    build_context,
    build_search_index,
    schema_is_current,
    upgrade_database,
)
from ecase.config import ConfigError, Settings
from ecase.domain.enums import Role
from ecase.domain.errors import EcaseError
from ecase.services import integrity, setup
from ecase.services.access import audit_log, second_factor, users
from ecase.services.context import Context
from ecase.services.intake import pipeline
from search import SearchError, read_checkpoint, rebuild
from storage import StorageError

console = Console(stderr=True)
out = Console()


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _require_current_schema(settings: Settings) -> None:
    try:
        current = schema_is_current(settings.database_url)
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"the database cannot be reached: {exc.__class__.__name__}"
        ) from exc
    if not current:
        raise click.ClickException(
            "the database is not initialised or not up to date; run `ecase init` first"
        )


def _context(*, reset_incompatible_index: bool = False) -> Context:
    settings = _settings()
    _require_current_schema(settings)
    try:
        index = build_search_index(settings, reset_incompatible=reset_incompatible_index)
        return build_context(settings, index=index)
    except (StorageError, SearchError, ValueError) as exc:
        # Malformed URLs and unreachable backends: one line that names the setting.
        raise click.ClickException(f"cannot start: {exc}") from exc


@contextmanager
def _progress(label: str, total: int | None = None) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr; yields ``update(done, total)`` for the long-running work."""
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)

        def update(done: int, new_total: int | None = None) -> None:
            progress.update(task, completed=done, total=new_total or total)

        yield update


def _run(action: Callable[[], Any]) -> Any:
    """Turn ecase's own errors into one readable line and a non-zero exit, never a traceback."""
    try:
        return action()
    except EcaseError as exc:
        raise click.ClickException(exc.message) from exc


class _Group(click.Group):
    """Turns ecase's own errors from any subcommand into one readable line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EcaseError as exc:
            raise click.ClickException(exc.message) from exc


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """ecase: electronic case files for the Ausländerbehörde."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic narrates every connection at INFO; operators only need its warnings.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


@main.command()
@click.option("--admin", "admin_name", default=None, help="Create this first administrator.")
@click.option("--password", default=None, help="Password of the first administrator.")
def init(admin_name: str | None, password: str | None) -> None:
    """Create directories, migrate the database, add the first admin (idempotent)."""
    settings = _settings()
    for path in (settings.home, settings.inbox_path, settings.inbox_path / "failed"):
        path.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.database_url)
    ctx = build_context(settings)
    _run(lambda: setup.ensure_file_plan_entry(ctx, settings.default_file_plan))
    if admin_name:
        if not password:
            raise click.UsageError("--admin needs --password")
        created = _run(lambda: setup.ensure_admin(ctx, admin_name, password))
        out.print(f"administrator {admin_name} created" if created else "an administrator exists")
    elif not setup.has_admin(ctx):
        generated = secrets.token_urlsafe(12) + "A1"
        _run(lambda: setup.ensure_admin(ctx, "admin", generated))
        credentials = settings.home / "initial-admin.txt"
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"user: admin\npassword: {generated}\n")
        out.print(f"administrator 'admin' created; its password is in {credentials}")
    out.print(f"ecase is initialised in {settings.home}")


@main.command()
@click.option("--port", type=int, default=None, help="Port (default ECASE_PORT or 5000).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--workers", type=int, default=1, show_default=True, help="Background workers.")
@click.option("--threads", type=int, default=8, show_default=True, help="Web server threads.")
def serve(port: int | None, host: str, workers: int, threads: int) -> None:
    """Serve the web app and API, with background worker process(es) beside it."""
    from waitress import serve as waitress_serve  # noqa: PLC0415  # only the serving process needs it

    from ecase.app import FORM_OVERHEAD_BYTES, create_app  # noqa: PLC0415  # only when serving

    settings = _settings()
    _require_current_schema(settings)
    port = port or settings.port
    worker: subprocess.Popen[bytes] | None = None
    if workers > 0:
        worker = subprocess.Popen(  # noqa: S603  # our own entry point, no shell, fixed arguments
            [sys.executable, "-m", "ecase.cli", "worker", "--workers", str(workers)],
        )
    app = create_app(settings)
    out.print(f"ecase serves on http://{host}:{port}/ — log in at http://{host}:{port}/login")

    def _stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    try:
        waitress_serve(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="ecase",
            # Refused on the Content-Length header, before a byte of the body is read:
            # waitress would otherwise buffer up to 1 GiB before the app could say no.
            max_request_body_size=settings.max_upload_bytes + FORM_OVERHEAD_BYTES,
            # An idle or non-reading client gives its connection up after 30 s (waitress's
            # default is 120 s), so a few stuck clients cannot hold the connection limit.
            channel_timeout=30,
        )
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


@main.command()
@click.option("--workers", type=int, default=1, show_default=True)
def worker(workers: int) -> None:
    """Run background jobs only (for extra worker nodes)."""
    from ecase.jobs import run_worker  # noqa: PLC0415  # keeps web-only commands free of the queue

    settings = _settings()
    _require_current_schema(settings)
    run_worker(settings, workers)


@main.command()
@click.option("--no-retry-failed", is_flag=True, help="Leave documents failed by outages alone.")
def reconcile(no_retry_failed: bool) -> None:
    """Hand lost pipeline work back to the queue (after crashes or outages)."""
    from ecase.jobs import Queue  # noqa: PLC0415  # only this command and the worker need the queue

    queue = Queue(_settings())
    ids = pipeline.reconcile(queue.context(), include_transient_failures=not no_retry_failed)
    out.print(f"re-enqueued {len(ids)} documents")
    from ecase.services.intake import scanning  # noqa: PLC0415  # loads the batch splitter's port

    batches = scanning.reconcile_batches(queue.context())
    out.print(f"re-enqueued {len(batches)} scan batches")


@main.command()
@click.option("--once", is_flag=True, help="Take what is ready now, then exit.")
@click.option(
    "--settle",
    type=click.FloatRange(0, 600),
    default=2.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is taken.",
)
def hotfolder(once: bool, settle: float) -> None:
    """Take scanned batches from the hot folder (ECASE_INBOX_DIR) into the Posteingang.

    The worker watches the folder by itself; this command is for a dedicated intake node
    (without --once) and for operations and tests (--once). Splitting runs in the worker.
    """
    from ecase.jobs import Queue  # noqa: PLC0415  # batches are split by the worker queue
    from ecase.services.intake import hotfolder as hot  # noqa: PLC0415  # only this command watches

    settings = _settings()
    _require_current_schema(settings)
    queue = Queue(settings)
    ctx = queue.context()
    if once:
        taken = _run(lambda: hot.process_once(ctx, settle_seconds=settle))
        for item in taken:
            where = (
                f"batch {item.batch_id}"
                if item.batch_id
                else item.reason
                if item.reason == hot.RETRY
                else f"rejected: {item.reason}"
            )
            click.echo(f"{item.profile + '/' if item.profile else ''}{item.name}\t{where}")
        click.echo(
            f"{sum(1 for t in taken if t.batch_id)} batch(es) taken from {settings.inbox_path}"
        )
        return
    import threading  # noqa: PLC0415  # only the long-running watcher needs it

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _s, _f: stop.set())
    click.echo(f"watching {settings.inbox_path} (Ctrl+C to stop)")
    try:
        hot.HotFolder.for_context(ctx).run(stop, interval=max(settle, 0.5))
    except KeyboardInterrupt:
        stop.set()


@main.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--team", "teams", multiple=True, help="Team (repeatable).")
@click.option("--password", required=True, help="Initial password (at least 12 characters).")
def user_create(name: str, role: str, teams: tuple[str, ...], password: str) -> None:
    """Create a user account."""
    ctx = _context()
    view = _run(lambda: users.create_user(ctx, None, name, role, password, teams=teams))
    out.print(f"user {view.username} ({view.role}) created")


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """Disable an account; its sessions and API tokens end at once."""
    _run(lambda: users.set_active(_context(), None, name, active=False))
    out.print(f"user {name} disabled")


@user.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """Enable a disabled account again."""
    _run(lambda: users.set_active(_context(), None, name, active=True))
    out.print(f"user {name} enabled")


@user.command("password")
@click.argument("name")
@click.option("--password", required=True, help="The new password (at least 12 characters).")
def user_password(name: str, password: str) -> None:
    """Set a new password; every session and API token of the account ends."""
    _run(lambda: users.reset_password(_context(), None, name, password))
    out.print(f"password of {name} changed; all sessions and tokens ended")


@user.command("reset-2fa")
@click.argument("name")
def user_reset_second_factor(name: str) -> None:
    """Remove a lost second factor (check the person's identity first); they enrol anew."""
    _run(lambda: second_factor.reset(_context(), None, name))
    out.print(f"second factor of {name} removed; the next login sets up a new one")


@user.command("list")
def user_list() -> None:
    """List user accounts."""
    for view in users.list_users(_context()):
        teams = ", ".join(view.teams) or "-"
        state = "active" if view.active else "disabled"
        out.print(f"{view.username}\t{view.role}\t{teams}\t{state}")


@main.group()
def team() -> None:
    """Manage teams (Sachgebiete)."""


@team.command("create")
@click.argument("name")
def team_create(name: str) -> None:
    """Create a team (idempotent)."""
    ctx = _context()
    _run(lambda: users.create_team(ctx, None, name))
    out.print(f"team {name} exists")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
def token_create(name: str, label: str) -> None:
    """Print a new API token for user NAME (shown once; store it safely)."""
    ctx = _context()
    click.echo(_run(lambda: users.create_token(ctx, None, name, label)))


@main.group()
def storage() -> None:
    """Blob storage."""


@storage.command("verify")
def storage_verify() -> None:
    """Re-hash every blob; report missing, corrupt and orphaned blobs (exit 1 if any)."""
    ctx = _context()
    with _progress("verifying blobs") as update:
        result = integrity.verify_storage(ctx, progress=update)
    for label, keys in (
        ("missing", result.missing),
        ("corrupt", result.corrupt),
        ("orphaned", result.orphaned),
        ("invalid-key", result.invalid),
    ):
        for key in keys:
            click.echo(f"{label}\t{key}")
    out.print(
        f"checked {result.checked} blobs: {len(result.missing)} missing, "
        f"{len(result.corrupt)} corrupt, {len(result.orphaned)} orphaned"
    )
    # Orphans lose nothing but are reported as failures too: they mean an upload or a
    # pipeline run died half-way, which an operator should look into.
    if not result.ok or result.orphaned:
        sys.exit(1)


@main.command()
@click.option("--full", is_flag=True, help="Start over even if an interrupted rebuild can resume.")
def reindex(full: bool) -> None:
    """Rebuild the search index from the database (resumes an interrupted rebuild)."""
    # A full rebuild may replace an index written by an older version of ecase.
    ctx = _context(reset_incompatible_index=full)
    checkpoint = ctx.settings.home / "reindex.checkpoint"
    resume_after = None if full else read_checkpoint(checkpoint)
    total = pipeline.count_indexable(ctx, after=resume_after)
    with _progress("indexing documents", total) as update:
        if resume_after is not None:
            out.print(f"resuming after document {resume_after}")
        report = rebuild(
            ctx.index,
            pipeline.iter_index_entries(ctx, after=resume_after),
            resume_after=resume_after,
            checkpoint=checkpoint,
            batch_size=2000,
            progress=lambda done: update(done, None),
        )
    click.echo(f"indexed {report.indexed} documents")


@main.group("audit")
def audit_group() -> None:
    """The access log."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Check the hash chain and signed checkpoints; name the first broken event (exit 1)."""
    ctx = _context()
    with _progress("verifying access log") as update:
        report = audit_log.verify_chain(ctx, progress=update)
    if not report.ok:
        click.echo(f"BROKEN at event {report.broken_seq}: {report.problem}")
        click.echo(f"checked {report.checked} events before the break")
        sys.exit(1)
    span = f"{report.first_seq}..{report.last_seq}" if report.checked else "empty"
    click.echo(f"access log intact: {report.checked} events ({span})")


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the current end of the chain (the worker does this every hour)."""
    seq = audit_log.write_checkpoint(_context())
    click.echo(f"checkpoint at event {seq}" if seq else "the access log is empty")


@audit_group.command("prune")
def audit_prune() -> None:
    """Delete events older than ECASE_AUDIT_RETENTION_DAYS, leaving a signed cut."""
    deleted = audit_log.prune(_context())
    click.echo(f"deleted {deleted} events older than the retention period")


@main.command("sheets")
@click.option(
    "--case",
    "references",
    multiple=True,
    metavar="REF",
    help="Aktenzeichen of a case file: one sheet for it (repeatable).",
)
@click.option(
    "--count",
    type=click.IntRange(0, 500),
    default=None,
    help="Generic sheets (ECASE:SEP) to add; 1 without --case, else 0.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    default="trennblaetter.pdf",
    show_default=True,
    help="Where to write the PDF.",
)
def sheets(references: tuple[str, ...], count: int | None, output: str) -> None:
    """Write printable separator sheets (Trennblätter) for the scanner as a PDF."""
    from pathlib import Path  # noqa: PLC0415  # only this command writes a file by name

    from ecase.services.intake import sheets as sheet_service  # noqa: PLC0415  # loads ocr's sheet code
    from ocr import render_sheet_pdf  # noqa: PLC0415  # segno is needed only here

    blank = count if count is not None else (0 if references else 1)
    if not references and blank == 0:
        raise click.ClickException("nothing to print: name a case with --case or use --count")
    specs = _run(lambda: sheet_service.sheet_specs(_context(), None, list(references), blank))
    target = Path(output)
    try:
        target.write_bytes(render_sheet_pdf(specs))
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {len(specs)} separator sheet(s) to {target}")


@main.command()
@click.option("--persons", "persons_count", type=int, default=300, show_default=True)
@click.option("--letters", type=int, default=36, show_default=True)
@click.option("--password", default="Demo-Passwort-2026", show_default=True)
def demo(persons_count: int, letters: int, password: str) -> None:
    """Load a demo office: teams, one user per role, persons, case files and letters."""
    from ecase.jobs import Queue  # noqa: PLC0415  # letters go to the real worker queue
    from ecase.services import demo as demo_service  # noqa: PLC0415  # needs Pillow/pypdf

    settings = _settings()
    _require_current_schema(settings)
    queue = Queue(settings)
    ctx = build_context(settings, dispatch_document=queue.dispatch)
    with _progress("loading the demo office", persons_count + letters) as update:
        report = demo_service.load_demo(
            ctx, password, persons_count=persons_count, letters=letters, progress=update
        )
    for username, role in report.users:
        click.echo(f"{username}\t{role}\t{password}")
    click.echo(
        f"{report.persons} persons, {report.cases} case files and {report.documents} letters; "
        "the worker of `ecase serve` reads the letters in the background"
    )


if __name__ == "__main__":
    main()
