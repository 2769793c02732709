"""The columns of the files people fill in (participants, follow-up waves), as a person reads them.

Each column has its stored name (``consent``, ``territory``, ``placement_days``), its label in each
language (the catalogue's ``label:column:<name>`` for Témoin's own columns, the contract's own
words for its attributes and indicators), its type, its allowed values and range, its rule in
words, and an example. The downloadable templates are made from them (:mod:`temoin.services.cohort_templates`),
and an uploaded file may name its columns by either label or by the stored name
(:func:`header_aliases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from temoin.contract.model import Contract
from temoin.evaluation.cohort_file import normalise
from temoin.i18n import LANGUAGES, Translator
from temoin.i18n.contract_labels import category_words
from temoin.messages import Msg

__all__ = ["Column", "category_labels", "header_aliases", "participant_columns", "wave_columns"]

Kind = Literal["identifier", "yes_no", "date", "number", "category", "text"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool
    labels: dict[str, str]
    rule: Msg
    example: str
    categories: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels["fr"]


def _own(name: str) -> dict[str, str]:
    return {lang: Translator(lang).label("column", name) for lang in LANGUAGES}


def _range_rule(minimum: float | None, maximum: float | None) -> Msg:
    if minimum is not None and maximum is not None:
        return Msg("A number from {low} to {high}.", low=minimum, high=maximum)
    if minimum is not None:
        return Msg("A number, at least {low}.", low=minimum)
    if maximum is not None:
        return Msg("A number, at most {high}.", high=maximum)
    return Msg("A number.")


def participant_columns(contract: Contract) -> list[Column]:
    """The columns of a participant file, in the template's order."""
    yes_no = Msg("Yes or no (oui/non, 1/0).")
    cols = [
        Column("participant_id", "identifier", True, _own("participant_id"),
               Msg("Your own case number, unique in the file. Turned into a pseudonym; never stored."), "D-2026-0001"),
        Column("consent", "yes_no", True, _own("consent"), yes_no, "oui"),
        Column("enrolled", "yes_no", True, _own("enrolled"), Msg("Yes or no; only with consent."), "oui"),
    ]
    for a in contract.population.attributes:
        labels = {"fr": a.label.fr, "en": a.label.en}
        if a.type == "numeric":
            cols.append(Column(a.name, "number", True, labels, _range_rule(a.minimum, a.maximum),
                               str(int(a.minimum or 0) + 1), minimum=a.minimum, maximum=a.maximum))
        elif a.type == "boolean":
            cols.append(Column(a.name, "yes_no", True, labels, yes_no, "non"))
        elif a.categories:
            cols.append(Column(a.name, "category", True, labels, Msg("One of the listed values."), a.categories[0],
                               categories=tuple(a.categories)))
        else:
            cols.append(Column(a.name, "text", True, labels, Msg("Free text."), ""))
    date_rule = Msg("A date: YYYY-MM-DD or DD/MM/YYYY (may be left empty).")
    cols += [Column("referral_date", "date", False, _own("referral_date"), date_rule, "2026-01-15"),
             Column("referral_source", "text", False, _own("referral_source"), Msg("Free text (may be left empty)."), ""),
             Column("enrolment_date", "date", False, _own("enrolment_date"), date_rule, "2026-02-01"),
             Column("consent_date", "date", False, _own("consent_date"), date_rule, "2026-01-20"),
             Column("consent_research", "yes_no", False, _own("consent_research"),
                    Msg("Yes or no: the person agreed that their data be reused for research (may be left empty)."), "non"),
             Column("consent_guardian", "yes_no", False, _own("consent_guardian"),
                    Msg("For a minor: yes or no, the holder of parental authority consented (may be left empty)."), "")]
    return cols


def wave_columns(contract: Contract) -> list[Column]:
    """The columns of a follow-up wave's file: the participant, then one per indicator."""
    cols = [Column("participant_id", "identifier", True, _own("participant_id"),
                   Msg("The case number given in the participant file."), "D-2026-0001")]
    for i in contract.indicators:
        rule = (Msg("Yes or no, or 1 or 0 (may be left empty).") if (i.minimum, i.maximum) == (0, 1)
                else Msg("{range} May be left empty if not measured.", range=_range_rule(i.minimum, i.maximum)))
        example = "0" if (i.minimum, i.maximum) == (0, 1) else str(int(i.minimum or 0) + 10)
        cols.append(Column(i.id, "number", False, {"fr": i.label.fr, "en": i.label.en}, rule, example,
                           minimum=i.minimum, maximum=i.maximum))
    return cols


def header_aliases(columns: list[Column]) -> dict[str, str]:
    """What a file's header may say for each column (either language's label or the stored name,
    compared without case or accents) -> its stored name."""
    out: dict[str, str] = {}
    for c in columns:
        for text in (c.name, *c.labels.values()):
            out.setdefault(normalise(text), c.name)
    return out


def category_labels(contract: Contract) -> dict[str, dict[str, list[str]]]:
    """Per attribute, per category, the words people read for it in every language (the
    catalogue's ``label:category:<code>``): an uploaded file may write ``très élevé`` or
    ``Very high`` for ``very_high``."""
    readers = [Translator(lang) for lang in LANGUAGES]
    out: dict[str, dict[str, list[str]]] = {}
    for a in contract.population.attributes:
        words = {c: category_words(a, c, readers) for c in a.categories}
        out[a.name] = {c: w for c, w in words.items() if w}
    return out
