"""Text extraction from untrusted PDFs and scans: text layer where usable, OCR otherwise.

A leaf package: it never imports ``ecase``, Flask, SQLAlchemy, ``storage`` or ``search``.
Importing it loads no PDF or image library; those run only in the sandboxed child.
"""

from .errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    ExtractionError,
    OcrEngineError,
    ResourceLimitError,
    UnsupportedMediaTypeError,
)
from .fake import FakeExtractor
from .media import SUPPORTED_MEDIA_TYPES, detect_media_type
from .model import ExtractionResult, Extractor, Limits, PageSource, PageText, Word
from .sandbox import extract_in_sandbox
from .separators import (
    PlannedDocument,
    Separator,
    SeparatorKind,
    SheetSpec,
    detect_separator,
    parse_payload,
    render_sheet_pdf,
    split_pages,
)
from .tesseract import TesseractExtractor

__all__ = [
    "SUPPORTED_MEDIA_TYPES",
    "CorruptDocumentError",
    "EncryptedDocumentError",
    "ExtractionError",
    "ExtractionResult",
    "Extractor",
    "FakeExtractor",
    "Limits",
    "OcrEngineError",
    "PageSource",
    "PageText",
    "PlannedDocument",
    "ResourceLimitError",
    "Separator",
    "SeparatorKind",
    "SheetSpec",
    "TesseractExtractor",
    "UnsupportedMediaTypeError",
    "Word",
    "detect_media_type",
    "detect_separator",
    "extract_in_sandbox",
    "parse_payload",
    "render_sheet_pdf",
    "split_pages",
]
