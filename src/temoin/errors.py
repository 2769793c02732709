"""Domain errors: typed, with a code, the path of the offending field, and what to say as messages.

Every error says what is wrong (``message``), where (``path``, and the YAML ``line`` when the
parser gives one) and what to do (``hint``). Messages are :class:`~temoin.messages.Msg`: an
identifier (the English text) and its values; the entry points render them in the reader's
language (:meth:`temoin.i18n.Translator.error`), the CLI and the web the same way, without a
traceback.
"""

from __future__ import annotations

from typing import Literal

from temoin.messages import Msg

Lang = Literal["fr", "en"]


class TemoinError(Exception):
    """Base of every error Témoin raises on purpose.

    >>> e = TemoinError("demo", Msg("Value refused: '{value}'.", value="x"), path="caps.total", hint=Msg("Fix it."))
    >>> e.render()
    "caps.total: Value refused: 'x'. Fix it. [demo]"
    """

    code: str = "error"

    def __init__(self, code: str, message: Msg, *, path: str | None = None, line: int | None = None,
                 hint: Msg | None = None) -> None:
        if not isinstance(message, Msg):
            raise TypeError(f"{code}: an error's message is a Msg (temoin.messages), not {type(message).__name__}")
        self.code = code
        self.msg: Msg = message
        self.hint_msg: Msg | None = hint
        super().__init__(str(message))
        self.path = path
        self.line = line

    def message(self) -> str:
        """The message's English identifier with its values, for logs and tracebacks; people read
        :meth:`temoin.i18n.Translator.error`, in their language."""
        return str(self.msg)

    def hint(self) -> str | None:
        return str(self.hint_msg) if self.hint_msg is not None else None

    def render(self) -> str:
        """The error in one line of plain English (logs, tracebacks)."""
        where = self.path or ""
        if self.line is not None:
            where += (" " if where else "") + f"(line {self.line})"
        text = f"{where}: {self.message()}" if where else self.message()
        hint = self.hint()
        if hint:
            text += f" {hint}"
        return f"{text} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        """The error as data: its code, where, and its messages as messages' dicts."""
        return {
            "code": self.code,
            "path": self.path,
            "line": self.line,
            "message": self.msg.to_dict(),
            "hint": self.hint_msg.to_dict() if self.hint_msg is not None else None,
        }

    def __str__(self) -> str:
        return self.render()


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

    def render(self) -> str:
        return self.message() + "\n" + "\n".join("  - " + p.render() for p in self.problems)

    def to_dict(self) -> dict[str, object]:
        d = super().to_dict()
        d["problems"] = [p.to_dict() for p in self.problems]
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
