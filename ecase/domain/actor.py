"""Who is asking: the identity every service call and policy decision is made for."""

from __future__ import annotations

from dataclasses import dataclass

from ecase.domain.enums import Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    username: str
    role: Role
    team_ids: frozenset[int]
    client_address: str | None = None

    @property
    def is_staff_reader(self) -> bool:
        """Roles whose daily work is reading personal data (not auditors or admins)."""
        return self.role in {Role.CLERK, Role.CASEWORKER, Role.SUPERVISOR}
