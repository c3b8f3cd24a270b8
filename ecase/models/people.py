"""Persons and the other spellings their names reach the office in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
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
    # Written with the names; must be rewritten whenever a name or an alias changes.
    name_keys: Mapped[list[PersonNameKey]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
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


class PersonNameKey(Base):
    """One word of a person's names (main or alias) as person search looks it up.

    ``key`` is a phonetic key and ``form`` the search form of the word (or of two adjacent
    words joined), both from ``ecase.domain.name_matching``; a word whose spelling is
    ambiguous has one row per key. Lookups go by equality on ``key`` or ``form`` and by
    range on ``form`` (prefixes), so each index leads with the column and carries the
    person id; see docs/adr/0009-person-search.md.
    """

    __tablename__ = "person_name_keys"
    __table_args__ = (
        Index("ix_person_name_keys_key_person_id", "key", "person_id"),
        Index("ix_person_name_keys_form_person_id", "form", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(400))
    form: Mapped[str] = mapped_column(String(400))
