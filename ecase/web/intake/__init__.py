"""Pages of intake: the Posteingang, upload, scan protocols, separator sheets."""
