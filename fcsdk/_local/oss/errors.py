"""OSS errors as the server answers them: an HTTP status and an XML ``Error`` document."""

from __future__ import annotations

__all__ = ["OSSError", "not_implemented"]


class OSSError(Exception):
    """An error answered as OSS does: status, ``Code``, ``Message`` and extra elements.

    ``extra`` elements (``BucketName``, ``Key``, ``StringToSign`` ...) are
    added to the XML after the standard ones; ``headers`` go on the response.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        # keyword names map to OSS's element names
        names = {
            "bucket": "BucketName",
            "key": "Key",
            "upload_id": "UploadId",
            "access_key_id": "OSSAccessKeyId",
        }
        self.extra = {names.get(k, k): v for k, v in extra.items()}


def not_implemented(what: str) -> OSSError:
    """The ``NotImplemented`` error for a request LocalOSSServer does not support."""
    return OSSError(
        400,
        "NotImplemented",
        f"LocalOSSServer does not implement {what}.",
    )


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain decimal number (ASCII digits, at most 18 of them).

    ``str.isdigit`` alone accepts ``"³"`` and Arabic-Indic digits, and ``int()``
    accepts ``"1_0"``; a request's numbers are neither.
    """
    return 0 < len(text) <= 18 and text.isascii() and text.isdigit()
