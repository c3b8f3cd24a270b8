"""The API of intake: the Posteingang, scan batches and document edits."""
