"""Typer, speaking the reader's language: the help option, the usage line, the names of arguments and
types, and the errors of the command line itself (a missing argument, an unknown option, a value
of the wrong type) come from the catalogue (``cli.po``).

Only public extension points are used: Typer's ``cls=`` for the command and group classes, and the
public Click methods they inherit (``get_help_option``, ``format_usage``, ``get_params``,
``make_context``, ``invoke``). Typer's remaining words ("Options", "Commands", "Error", "[default:
…]") are read by Typer with :mod:`gettext`, from the same catalogue (:func:`temoin.cli._lang.use_language`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from temoin.cli._lang import help_words

__all__ = ["TemoinTyper", "help_language", "set_help_language", "tr"]

_help_lang = "fr"


def set_help_language(lang: str) -> None:
    """The language the commands are declared in (before :func:`temoin.cli.build_app` declares them)."""
    global _help_lang
    _help_lang = lang


def help_language() -> str:
    return _help_lang


def tr(message: str, **values: str) -> str:
    """A help text (or a word of the command line itself) in the language the commands are built in."""
    text = help_words(_help_lang).gettext(message)
    return text.format(**values) if values else text


# -- errors of the command line itself -------------------------------------------------------------


class TranslatedUsageError(typer.BadParameter):
    """A usage error whose message is already in the reader's words."""

    def format_message(self) -> str:
        return self.message


_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Input should be a valid integer.*"), "a whole number is expected."),
    (re.compile(r"Input should be a valid number.*"), "a number is expected."),
    (re.compile(r"Input should be a valid boolean.*"), "yes or no is expected."),
    (re.compile(r"Value (?P<value>.+) is not a valid (?P<kind>.+)\."), "{value} is not a valid {kind}."),
)
_SUGGESTION = re.compile(r" Did you mean (?P<names>.+)\?$")
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Missing argument (?P<name>.+)\.(?: .*)?"), "Missing argument {name}."),
    (re.compile(r"Missing option (?P<name>.+)\.(?: .*)?"), "Missing option {name}."),
    (re.compile(r"Missing parameter:? (?P<name>.+)"), "Missing parameter {name}."),
    (re.compile(r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<choices>.*)\))?"), "No such option: {name}."),
    (re.compile(r"No such command '(?P<name>.+)'\."), "No such command '{name}'."),
    (re.compile(r"Missing command\."), "Missing command."),
    (re.compile(r"Got unexpected extra argument\(s\) \((?P<args>.*)\)"), "Unexpected extra argument(s): {args}."),
    (re.compile(r"Option '(?P<name>.+)' requires (?:an argument|\d+ arguments)\."), "Option '{name}' requires a value."),
    (re.compile(r"Option '(?P<name>.+)' does not take a value\."), "Option '{name}' does not take a value."),
)


def _reason(text: str) -> str:
    for pattern, message in _REASONS:
        m = pattern.fullmatch(text.strip())
        if m:
            return tr(message, **m.groupdict())
    return text


def translate_usage_error(exc: Any) -> str:
    """The message of a usage error of Typer (or of a ``typer.BadParameter`` raised by a command) in
    the reader's words."""
    if isinstance(exc, typer.BadParameter) and type(exc).__name__ in ("BadParameter", "TranslatedUsageError"):
        param = getattr(exc, "param", None)
        hint = exc.param_hint or (param.get_error_hint() if isinstance(param, TyperOption | TyperArgument) else None)
        if isinstance(hint, list | tuple):
            hint = " / ".join(repr(h) for h in hint)
        if hint:
            return tr("Invalid value for {name}: {reason}", name=str(hint), reason=_reason(exc.message))
        return tr("Invalid value: {reason}", reason=_reason(exc.message))
    text = exc.format_message()
    suggestion = _SUGGESTION.search(text)
    if suggestion:
        text = text[:suggestion.start()]
        if not text.endswith("."):
            text += "."
    return _translated_message(text) + (" " + tr("Did you mean {names}?", names=suggestion.group("names"))
                                        if suggestion else "")


def _translated_message(text: str) -> str:
    for pattern, message in _MESSAGES:
        m = pattern.fullmatch(text)
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            choices = groups.pop("choices", None)
            out = tr(message, **groups)
            return out + (" " + tr("Possible options: {choices}.", choices=choices) if choices else "")
    return _reason(text)


def _is_usage_error(exc: BaseException) -> bool:
    return (isinstance(exc, typer.TyperException) and getattr(exc, "exit_code", None) == 2
            and hasattr(exc, "ctx") and not isinstance(exc, TranslatedUsageError)
            and type(exc).__name__ != "NoArgsIsHelpError")  # that one shows the help, which is translated


# -- the help -------------------------------------------------------------------------------------


def _type_word(param: TyperOption, ctx: Any) -> str | None:
    if param.is_flag:
        return ""  # a flag takes no value: no type to show
    shown = param.display_type(ctx)
    key = f"label:cli_type:{shown.strip('<>')}" if shown else None
    word = help_words(_help_lang).gettext(key) if key else None
    return None if word is None or word == key else f"<{word}>"


def _translate_params(params: list[Any], ctx: Any) -> None:
    for p in params:  # once per parameter: a translated one has its metavar
        if isinstance(p, TyperArgument) and p.metavar is None and p.name:
            key = f"label:cli_argument:{p.name}"
            word = help_words(_help_lang).gettext(key)
            if word != key:
                p.metavar = word
        elif isinstance(p, TyperOption) and p.metavar is None:
            type_word = _type_word(p, ctx)
            if type_word is not None:
                p.metavar = type_word


class _Words:
    """What both classes share: the help option, the usage line, arguments and types in the reader's words."""

    def get_help_option(self, ctx: Any) -> Any:
        opt = super().get_help_option(ctx)  # type: ignore[misc]
        if opt is not None:
            opt.help = tr("Show this message and exit.")
        return opt

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=tr("Usage: "))

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        _translate_params(params, ctx)
        return params


class TemoinCommand(_Words, TyperCommand):
    pass


class TemoinGroup(_Words, TyperGroup):
    """A group whose usage errors, its own or its commands', reach the reader in their language."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.TyperException as exc:
            if not _is_usage_error(exc):
                raise
            raise TranslatedUsageError(translate_usage_error(exc), ctx=exc.ctx) from None  # type: ignore[attr-defined]

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            if not _is_usage_error(exc):
                raise
            raise TranslatedUsageError(translate_usage_error(exc), ctx=exc.ctx) from None  # type: ignore[attr-defined]


class TemoinTyper(typer.Typer):
    """``typer.Typer`` whose groups and commands speak the reader's language."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", TemoinGroup)
        kwargs.setdefault("options_metavar", tr("[OPTIONS]"))
        kwargs.setdefault("subcommand_metavar", tr("COMMAND [ARGS]..."))
        super().__init__(**kwargs)

    def command(self, name: str | None = None, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", TemoinCommand)
        kwargs.setdefault("options_metavar", tr("[OPTIONS]"))
        return super().command(name, **kwargs)

    def callback(self, **kwargs: Any) -> Callable[[Any], Any]:
        kwargs.setdefault("cls", TemoinGroup)
        return super().callback(**kwargs)
