"""The words for a contract's own codes: its attributes' categories and its indicators' units.

One lookup for each, used wherever a person reads one: the contract's own label first
(``category_labels`` on an attribute, ``unit_label`` on an indicator), then the catalogue's
(``label:category:<code>``, ``label:unit:<unit>``, for the bundled examples), then the code itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from temoin.contract.model import Attribute, Contract
from temoin.i18n import Translator
from temoin.messages import Msg

__all__ = ["category_label", "category_words", "unit_label", "wave_label", "wave_words"]


def _attributes(contract: Contract | None, attribute: str | None) -> Iterable[Attribute]:
    if contract is None:
        return ()
    if attribute is not None:
        found = contract.population.attribute(attribute)
        return (found,) if found is not None else ()
    return contract.population.attributes


def category_label(contract: Contract | None, code: str, words: Translator, attribute: str | None = None) -> str:
    """A category in the reader's words: the label ``attribute`` (or, when not named, the first
    attribute having that category) gives it in ``contract``, else the catalogue's, else the code."""
    for a in _attributes(contract, attribute):
        own = a.category_labels.get(code)
        if own is not None:
            return own.get(words.lang)
    return words.label("category", code)


def category_words(attribute: Attribute, code: str, readers: Iterable[Translator]) -> list[str]:
    """Every word people may read for a category in any language (its labels, without the code)."""
    own = attribute.category_labels.get(code)
    found = (own.get(t.lang) if own is not None else t.label("category", code) for t in readers)
    return [w for w in dict.fromkeys(found) if w != code]


def unit_label(contract: Contract | None, unit: str, words: Translator) -> str:
    """An indicator's unit in the reader's words: the label an indicator of ``contract`` with that
    unit gives it, else the catalogue's, else the unit as written."""
    if not unit:
        return ""
    for ind in contract.indicators if contract is not None else ():
        if ind.unit == unit and ind.unit_label is not None:
            return ind.unit_label.get(words.lang)
    return words.label("unit", unit)


def wave_words(contract: Contract | None, wave: str) -> Msg | str:
    """A follow-up wave of ``contract`` as a message (``m12``: "at 12 months"), or its code when the
    contract has no such wave."""
    for w in contract.evaluation.follow_up_waves if contract is not None else ():
        if w.id == wave:
            return Msg("at {months} months", months=w.months_after_enrolment)
    return wave


def wave_label(contract: Contract | None, wave: str, words: Translator) -> str:
    """A follow-up wave in the reader's words: "à 12 mois" / "at 12 months"."""
    said = wave_words(contract, wave)
    return words.render(said) if isinstance(said, Msg) else said
