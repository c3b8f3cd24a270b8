"""Errors that explain to a clerk, in plain German, why a file yielded no text."""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "CorruptDocumentError",
    "EncryptedDocumentError",
    "ExtractionError",
    "OcrEngineError",
    "ResourceLimitError",
    "UnsupportedMediaTypeError",
]


class ExtractionError(Exception):
    """Root of every failure of text extraction.

    ``str(error)`` MUST be a sentence a clerk can read (no stack trace, no library jargon);
    ``code`` is a stable machine-readable reason the app MAY translate or count;
    ``detail`` carries the technical cause for the log and MUST NOT be shown to clerks.
    """

    default_code: ClassVar[str] = "extraction_failed"

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        # keyword-only arguments would be lost by the default Exception pickling
        return (_rebuild, (type(self).__name__, self.message, self.code, self.detail))


class UnsupportedMediaTypeError(ExtractionError):
    """The file is not a PDF, TIFF, PNG or JPEG (judged by its content, not its name)."""

    default_code = "unsupported_media_type"


class EncryptedDocumentError(ExtractionError):
    """The PDF needs a password to be opened."""

    default_code = "encrypted"


class CorruptDocumentError(ExtractionError):
    """The file is damaged, truncated or structurally invalid."""

    default_code = "corrupt"


class ResourceLimitError(ExtractionError):
    """The file needs more time, memory, pages or pixels than the limits allow.

    ``code`` is one of ``timeout``, ``memory``, ``too_many_pages``, ``image_too_large``,
    ``output_too_large``.
    """

    default_code = "resource_limit"


class OcrEngineError(ExtractionError):
    """Tesseract is missing or broken: an operations problem, not a fault of the file.

    The caller SHOULD retry later instead of marking the document as failed for good.
    """

    default_code = "engine_unavailable"


ERROR_TYPES: dict[str, type[ExtractionError]] = {
    cls.__name__: cls
    for cls in (
        ExtractionError,
        UnsupportedMediaTypeError,
        EncryptedDocumentError,
        CorruptDocumentError,
        ResourceLimitError,
        OcrEngineError,
    )
}


def _rebuild(name: str, message: str, code: str, detail: str | None) -> ExtractionError:
    return ERROR_TYPES.get(name, ExtractionError)(message, code=code, detail=detail)
