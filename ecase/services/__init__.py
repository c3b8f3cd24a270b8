"""Use cases, grouped by capability; each owns its transaction (see docs/architecture.md).

- ``access``: who may do what — the policy's glue, the access log, break-glass, users,
  passwords, sessions and the second factor.
- ``casefile``: the file itself — persons, case files, documents, notes, page images,
  reading views, the workspace and search within what one may see.
- ``intake``: how paper and uploads become documents — hot folder, scan batches,
  Posteingang, separator sheets, the ingest pipeline and document edits.
- ``records``, ``portal``, ``desk``: the records lifecycle, the applicant portal and the
  caseworker's desk, above ``casefile`` and ``intake``.

The platform pieces stay at this level: ``context`` and ``uow`` (the unit of work),
``streams`` below every capability; ``setup``, ``integrity`` and ``demo`` above them.
"""
