"""File types ecase stores originals as, and how many leading bytes decide the type."""

from __future__ import annotations

from ecase.domain.messages import N_

# The sniffer (ocr.detect_media_type) finds a PDF header anywhere in the first KiB.
SNIFF_BYTES = 1024
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
ACCEPTED_MESSAGE = N_("This file type is not accepted. Please upload PDF, TIFF, PNG or JPEG files.")
