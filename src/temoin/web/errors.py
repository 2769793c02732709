"""Errors the web layer raises, and the one handler that answers them: JSON to API clients, an
HTML page to people, always in the user's language, never a traceback."""

from __future__ import annotations

from temoin.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    TemoinError,
)
from temoin.evaluation.cohort_file import CohortFileError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.services.accounts import AuthenticationError, RateLimitedError


class NotSignedIn(TemoinError):
    def __init__(self) -> None:
        super().__init__("auth.required", Msg("Sign in to see this page."), hint=Msg("Use the 'Sign in' link."))


class AccessDenied(TemoinError):
    pass


class CsrfError(TemoinError):
    def __init__(self) -> None:
        super().__init__("csrf.invalid", Msg("Security (CSRF) token missing or invalid: nothing was done."),
                         path="csrf_token", hint=Msg("Reload the page and try again."))


class TooLarge(TemoinError):
    def __init__(self, limit_mb: int) -> None:
        super().__init__("upload.too_large", Msg("File too large (at most {limit} MiB).", limit=limit_mb), path="file",
                         hint=Msg("Split the file or contact the administrator."))


class BodyTooLarge(TooLarge):
    """A request body past the limit, refused as it arrives (before the route or any sign-in check)."""

    def __init__(self, limit_kib: int) -> None:
        TemoinError.__init__(self, "request.too_large", Msg("Request too large (at most {limit} KiB).", limit=limit_kib),
                             hint=Msg("Files are sent through the data-entry form, within the size allowed."))


class UploadTooBig(TemoinError):
    """An upload whose shape passes a limit: rows, columns, unpacked size."""


def status_of(exc: TemoinError) -> int:
    if isinstance(exc, NotSignedIn | AuthenticationError):
        return 401
    if isinstance(exc, AccessDenied | CsrfError | ForbiddenError):
        return 403
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, TooLarge | UploadTooBig):
        return 413
    if isinstance(exc, RateLimitedError):
        return 429
    if isinstance(exc, InvalidInputError):
        return 422
    return 400


def error_payload(words: Translator, exc: TemoinError, listed: int) -> dict[str, object]:
    """The error as the API says it, in the reader's language; a refused file with its first ``listed``
    problems row by row, and how many more."""
    payload = words.error_dict(exc)
    if isinstance(exc, CohortFileError):
        payload["rows"] = [{"row": e.row, "column": e.column, "value": e.value, "message": words.render(e.message)}
                           for e in exc.errors[:listed]]
        payload["more"] = max(0, exc.count - min(listed, len(exc.errors)))
    return payload
