"""Text extraction from untrusted PDFs and scans: text layer where usable, OCR otherwise.

A leaf package: it never imports ``ecase``, Flask, SQLAlchemy, ``storage`` or ``search``.
Importing it loads no PDF or image library; those run only in the sandboxed child.
"""

from .batches import (
    BatchDocument,
    BatchSplit,
    BatchSplitter,
    PageReport,
    SandboxedBatchSplitter,
)
from .errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    ExtractionError,
    OcrEngineError,
    ResourceLimitError,
    UnsupportedMediaTypeError,
)
from .fake import FakeExtractor
from .fake_batches import FakeBatchSplitter
from .media import SUPPORTED_MEDIA_TYPES, detect_media_type
from .model import ExtractionResult, Extractor, Limits, PageSource, PageText, Word
from .render import (
    FakePageRenderer,
    PageRenderer,
    PdfiumPageRenderer,
    RenderedDocument,
    RenderedPage,
)
from .report_pdf import ReportSection, render_report_pdf
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
from .workdirs import WORK_DIR_PREFIX, create_work_dir, remove_stale_work_dirs

__all__ = [
    "SUPPORTED_MEDIA_TYPES",
    "WORK_DIR_PREFIX",
    "BatchDocument",
    "BatchSplit",
    "BatchSplitter",
    "CorruptDocumentError",
    "EncryptedDocumentError",
    "ExtractionError",
    "ExtractionResult",
    "Extractor",
    "FakeBatchSplitter",
    "FakeExtractor",
    "FakePageRenderer",
    "Limits",
    "OcrEngineError",
    "PageRenderer",
    "PageReport",
    "PageSource",
    "PageText",
    "PdfiumPageRenderer",
    "PlannedDocument",
    "RenderedDocument",
    "RenderedPage",
    "ReportSection",
    "ResourceLimitError",
    "SandboxedBatchSplitter",
    "Separator",
    "SeparatorKind",
    "SheetSpec",
    "TesseractExtractor",
    "UnsupportedMediaTypeError",
    "Word",
    "create_work_dir",
    "detect_media_type",
    "detect_separator",
    "extract_in_sandbox",
    "parse_payload",
    "remove_stale_work_dirs",
    "render_report_pdf",
    "render_sheet_pdf",
    "split_pages",
]
