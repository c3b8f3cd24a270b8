"""Persons and the other spellings their names reach the office in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecase.models.base import Base, UTCDateTime, utcnow


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    family_name: Mapped[str] = mapped_column(String(200))
    given_names: Mapped[str] = mapped_column(String(200), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)
    nationality: Mapped[str | None] = mapped_column(String(3))
    azr_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Folded "family given" for lookups that must not depend on accents or case.
    search_key: Mapped[str] = mapped_column(String(400), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    aliases: Mapped[list[PersonAlias]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonAlias.id"
    )


class PersonAlias(Base):
    """Another spelling or a former name; searched like the main name."""

    __tablename__ = "person_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20), default="variant")  # variant | former
    search_key: Mapped[str] = mapped_column(String(400), index=True)

    person: Mapped[Person] = relationship(back_populates="aliases")
