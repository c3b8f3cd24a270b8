"""First-run data every installation needs: the default file plan entry and an administrator."""

from __future__ import annotations

from sqlalchemy import select

from ecase.domain.enums import Role
from ecase.domain.reference import check_plan_code
from ecase.models import FilePlanEntry, User
from ecase.services.access.users import create_user
from ecase.services.context import Context

DEFAULT_FILE_PLAN_TITLE = "Aufenthaltsrecht"


def ensure_file_plan_entry(ctx: Context, code: str, title: str = DEFAULT_FILE_PLAN_TITLE) -> None:
    check_plan_code(code)
    with ctx.uow() as uow:
        exists = uow.session.execute(
            select(FilePlanEntry).where(FilePlanEntry.code == code)
        ).scalar()
        if exists is None:
            uow.session.add(FilePlanEntry(code=code, title=title))
            uow.commit()


def has_admin(ctx: Context) -> bool:
    with ctx.uow() as uow:
        return (
            uow.session.execute(select(User.id).where(User.role == Role.ADMIN)).first() is not None
        )


def ensure_admin(ctx: Context, username: str, password: str) -> bool:
    """Create the first administrator unless one exists; returns whether one was created."""
    if has_admin(ctx):
        return False
    create_user(ctx, None, username, Role.ADMIN.value, password)
    return True
