"""ocr leaf package (contract arrives with the ingest pipeline)."""
