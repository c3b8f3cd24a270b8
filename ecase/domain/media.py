"""File types ecase stores originals as, and how many leading bytes decide the type."""

from __future__ import annotations

from ecase.domain.messages import N_

# The sniffer (ocr.detect_media_type) takes a PDF only when ``%PDF-`` opens the file,
# after at most leading whitespace, and within the first KiB; images by their magic.
SNIFF_BYTES = 1024
EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/tiff": ".tif",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
#: Extensions (lower case) a download may keep because they tell the truth about its type;
#: any other extension gets the canonical one of ``EXTENSIONS`` appended.
TRUTHFUL_EXTENSIONS = {
    "application/pdf": frozenset({".pdf"}),
    "image/tiff": frozenset({".tif", ".tiff"}),
    "image/png": frozenset({".png"}),
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe"}),
}
ACCEPTED_MESSAGE = N_("This file type is not accepted. Please upload PDF, TIFF, PNG or JPEG files.")
