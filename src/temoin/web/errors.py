"""Errors the web layer raises, and the one handler that answers them: JSON to API clients, an
HTML page to people, always in the user's language, never a traceback."""

from __future__ import annotations

from temoin.errors import ConflictError, InvalidInputError, NotFoundError, TemoinError
from temoin.services.accounts import AuthenticationError, RateLimitedError


class NotSignedIn(TemoinError):
    def __init__(self) -> None:
        super().__init__("auth.required", "Connectez-vous pour voir cette page.", "Sign in to see this page.",
                         hint_fr="Utilisez le lien « Se connecter ».", hint_en="Use the 'Sign in' link.")


class AccessDenied(TemoinError):
    pass


class CsrfError(TemoinError):
    def __init__(self) -> None:
        super().__init__("csrf.invalid", "Jeton de sécurité (CSRF) absent ou invalide : rien n'a été fait.",
                         "Security (CSRF) token missing or invalid: nothing was done.", path="csrf_token",
                         hint_fr="Rechargez la page et recommencez.", hint_en="Reload the page and try again.")


class TooLarge(TemoinError):
    def __init__(self, limit_mb: int) -> None:
        super().__init__("upload.too_large", f"Fichier trop volumineux (au plus {limit_mb} Mio).",
                         f"File too large (at most {limit_mb} MiB).", path="file",
                         hint_fr="Découpez le fichier ou contactez l'administratrice.",
                         hint_en="Split the file or contact the administrator.")


class BodyTooLarge(TooLarge):
    """A request body past the limit, refused as it arrives (before the route or any sign-in check)."""

    def __init__(self, limit_kib: int) -> None:
        TemoinError.__init__(self, "request.too_large", f"Requête trop volumineuse (au plus {limit_kib:,} Kio).".replace(",", " "),
                             f"Request too large (at most {limit_kib:,} KiB).",
                             hint_fr="Un fichier s'envoie par le formulaire de saisie des données, sous la taille permise.",
                             hint_en="Files are sent through the data-entry form, within the size allowed.")


class UploadTooBig(TemoinError):
    """An upload whose shape passes a limit: rows, columns, unpacked size."""


def status_of(exc: TemoinError) -> int:
    if isinstance(exc, NotSignedIn | AuthenticationError):
        return 401
    if isinstance(exc, AccessDenied | CsrfError):
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
