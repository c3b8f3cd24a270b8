"""ecase: the electronic case file (e-Akte) of a German district migration office."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(settings: Any = None, **kwargs: Any) -> Flask:
    """The only way to get an app; imported lazily so ``import ecase`` stays cheap and inert."""
    from ecase.app import create_app as _create_app  # noqa: PLC0415  # keeps the package import side-effect free

    return _create_app(settings, **kwargs)
