"""API exceptions turned into Failures the window and the CLI can act on."""

from __future__ import annotations

from videostudio.api import errors as api
from videostudio.core import failures as f
from videostudio.core.failures import Failure

_BY_CLASS: tuple[tuple[type[Exception], str], ...] = (
    (api.AuthenticationError, f.AUTH),
    (api.PaymentRequiredError, f.CREDITS),
    (api.PermissionDeniedError, f.FORBIDDEN),
    (api.BadRequestError, f.INVALID),
    (api.PayloadTooLargeError, f.TOO_LARGE),
    (api.NotFoundError, f.NOT_FOUND),
    (api.GoneError, f.GONE),
    (api.RateLimitError, f.RATE_LIMITED),
    (api.APIConnectionError, f.OFFLINE),
    (api.ResponseFormatError, f.BAD_REPLY),
)


def to_failure(exc: BaseException, retry_in: float | None = None) -> Failure:
    """The Failure for an exception from the client (the server's message kept verbatim)."""
    kind = next((k for cls, k in _BY_CLASS if isinstance(exc, cls)), None)
    if kind is None:
        if isinstance(exc, api.APIStatusError):
            kind = f.SERVER if exc.status_code >= 500 else f.INVALID
        elif isinstance(exc, OSError):
            kind = f.LOCAL
        else:
            kind = f.BAD_REPLY
    message = exc.message if isinstance(exc, api.APIStatusError) else str(exc)
    field = None
    if isinstance(exc, api.APIStatusError):
        value = exc.metadata.get("field") or exc.metadata.get("param")
        field = str(value) if value else None
    return Failure(kind, message, field, retry_in)
