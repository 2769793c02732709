"""Domain errors: typed, with a code, the path of the offending field, and what to say as messages.

Every error says what is wrong (``message``), where (``path``, and the YAML ``line`` when the
parser gives one) and what to do (``hint``). Messages are :class:`~temoin.messages.Msg`: an
identifier (the English text) and its values; the entry points render them in the reader's
language (:meth:`temoin.i18n.Translator.error`), the CLI and the web the same way, without a
traceback. (An error may still be made of a French and an English text, the older form.)
"""

from __future__ import annotations

from typing import Literal

from temoin.messages import Msg

Lang = Literal["fr", "en"]


class TemoinError(Exception):
    """Base of every error Témoin raises on purpose.

    >>> e = TemoinError("demo", "Valeur refusée.", "Value refused.", path="caps.total", hint_fr="Corrigez.", hint_en="Fix it.")
    >>> e.render("en")
    'caps.total: Value refused. Fix it. [demo]'
    """

    code: str = "error"

    def __init__(
        self,
        code: str,
        fr: str | Msg,
        en: str | None = None,
        *,
        path: str | None = None,
        line: int | None = None,
        hint: Msg | None = None,
        hint_fr: str | None = None,
        hint_en: str | None = None,
    ) -> None:
        self.code = code
        if isinstance(fr, Msg):
            self.msg: Msg | None = fr
            self.hint_msg: Msg | None = hint
            self.fr = self.en = str(fr)
            self.hint_fr = self.hint_en = str(hint) if hint is not None else None
        else:
            self.msg = self.hint_msg = None
            self.fr, self.en = fr, en if en is not None else fr
            self.hint_fr, self.hint_en = hint_fr, hint_en
        super().__init__(self.en)
        self.path = path
        self.line = line

    def message(self, lang: Lang = "fr") -> str:
        """The message's words without the catalogue (the older French and English texts, or the
        message's English identifier with its values); people read :meth:`temoin.i18n.Translator.error`."""
        return self.fr if lang == "fr" else self.en

    def hint(self, lang: Lang = "fr") -> str | None:
        return self.hint_fr if lang == "fr" else self.hint_en

    def render(self, lang: Lang = "fr") -> str:
        where = ""
        if self.path:
            where = self.path
        if self.line is not None:
            where += (" " if where else "") + (f"(ligne {self.line})" if lang == "fr" else f"(line {self.line})")
        text = f"{where}: {self.message(lang)}" if where else self.message(lang)
        hint = self.hint(lang)
        if hint:
            text += f" {hint}"
        return f"{text} [{self.code}]"

    def to_dict(self, lang: Lang = "fr") -> dict[str, object]:
        return {
            "code": self.code,
            "path": self.path,
            "line": self.line,
            "message": self.message(lang),
            "hint": self.hint(lang),
        }

    def __str__(self) -> str:
        return self.render("en")


class InvalidInputError(TemoinError):
    """Input that breaks a rule: a value out of range, a date out of order, an unknown name."""


class ContractValidationError(TemoinError):
    """A contract document that cannot be accepted; carries every problem found, not just the first."""

    def __init__(self, problems: list[TemoinError]) -> None:
        first = problems[0]
        n = len(problems)
        head = (Msg("The contract is not valid (1 problem).") if n == 1
                else Msg("The contract is not valid ({n} problems).", n=n))
        super().__init__("contract.invalid", head, path=first.path, line=first.line)
        self.problems = problems

    def render(self, lang: Lang = "fr") -> str:
        head = self.message(lang)
        return head + "\n" + "\n".join("  - " + p.render(lang) for p in self.problems)

    def to_dict(self, lang: Lang = "fr") -> dict[str, object]:
        d = super().to_dict(lang)
        d["problems"] = [p.to_dict(lang) for p in self.problems]
        return d


class CurrencyMismatchError(TemoinError):
    """Two amounts in different currencies were combined."""

    def __init__(self, left: str, right: str, *, path: str | None = None) -> None:
        super().__init__(
            "money.currency_mismatch",
            Msg("Mixed currencies: {left} and {right}.", left=left, right=right),
            path=path,
            hint=Msg("Express every amount of a contract in its currency."),
        )


class NotFoundError(TemoinError):
    """A contract, version or record that does not exist."""


class ConflictError(TemoinError):
    """An action refused because of the current state (e.g. re-randomising a cohort with outcomes)."""


class ForbiddenError(TemoinError):
    """An action refused to this person (e.g. a call changed by anyone but the payer who drafted it)."""
