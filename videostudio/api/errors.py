"""Errors of the video API: one class per documented status, plus transport errors.

Every class carries the server's ``error.message`` (shown to the user verbatim)
and ``error.metadata``. No error ever holds request headers, so the API key
cannot leak through an exception or a traceback.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from typing import Any


class VideoAPIError(Exception):
    """Base of everything the client raises."""


class APIStatusError(VideoAPIError):
    """The server answered with an error status."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        metadata: Mapping[str, Any] | None = None,
        body: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.metadata = dict(metadata or {})
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status_code})"


class BadRequestError(APIStatusError):
    """400: a parameter is invalid for this model."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class PaymentRequiredError(APIStatusError):
    """402: not enough credits."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this model or job."""


class NotFoundError(APIStatusError):
    """404: unknown model or job."""


class ConflictError(APIStatusError):
    """409: the content is not ready yet."""


class GoneError(APIStatusError):
    """410: the content is no longer available."""


class PayloadTooLargeError(APIStatusError):
    """413: the request body (usually data-URL images) is too large."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` says when to try again."""


class InternalServerError(APIStatusError):
    """500."""


class BadGatewayError(APIStatusError):
    """502: the upstream provider failed."""


class ServiceUnavailableError(APIStatusError):
    """503."""


class SubmitRedirectedError(APIStatusError):
    """A submit answered with a redirect, which is never followed.

    Following it would send the prompt and images (and, on the same origin, the key)
    to wherever the reply points; the job was not created by that reply.
    """

    def __init__(self, status_code: int, location: str) -> None:
        super().__init__(
            f"The server redirected the job submission to {location}. The redirect was not "
            "followed, so no job was created by this request; check the API address.",
            status_code=status_code,
        )
        self.location = location


class APIConnectionError(VideoAPIError):
    """The server could not be reached, or the connection broke mid-reply."""


class APITimeoutError(APIConnectionError):
    """Connecting or reading took longer than the call's timeout."""


class ReplyCutError(APIConnectionError):
    """A reply that stopped before its end (the connection broke mid-answer)."""


class ResponseFormatError(VideoAPIError):
    """A reply that is not what the API documents: garbage JSON, wrong type, bad file."""


class SubmitOutcomeUnknownError(APIConnectionError):
    """The submit may have reached the server but no reply came; it is not resent.

    Resending could create a second, billed job; the caller decides.
    """


class InsufficientSpaceError(OSError):
    """The clip does not fit on the disk (errno ENOSPC); ``needed`` and ``free`` in bytes."""

    def __init__(self, needed: int, free: int) -> None:
        megabyte = 1 << 20
        message = (
            f"Not enough disk space: need {-(-needed // megabyte)} MB, {free // megabyte} MB free."
        )
        super().__init__(errno.ENOSPC, message)
        self.needed = needed
        self.free = free

    def __str__(self) -> str:
        return str(self.strerror)


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    413: PayloadTooLargeError,
    429: RateLimitError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
}


def error_for_status(
    status: int, text: str, envelope: Any = None, retry_after: float | None = None
) -> APIStatusError:
    """Build the error for an error reply from its (already scrubbed) text and parsed JSON.

    The ``{"error": {"message", "metadata"}}`` envelope gives the message; a body
    without it is quoted, shortened.
    """
    message = f"The server answered HTTP {status} without an explanation."
    metadata: Mapping[str, Any] | None = None
    error = envelope.get("error") if isinstance(envelope, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        message = error["message"]
        meta = error.get("metadata")
        metadata = meta if isinstance(meta, dict) else None
    elif envelope is None and text.strip():
        message = f"The server answered HTTP {status}: {text.strip()[:200]}"
    cls = _BY_STATUS.get(status, APIStatusError)
    return cls(message, status_code=status, metadata=metadata, body=text, retry_after=retry_after)
