"""How paper mail and uploads become documents in a file: the hot folder, scan batches and
their protocol, the Posteingang, separator sheets, the ingest pipeline with its leases, and
document edits (split, rotate, merge)."""
