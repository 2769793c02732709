"""The templates of the files people fill in, in the reader's language: CSV (the header row of
column labels) and XLSX (a data sheet whose header holds the labels and whose cells offer the
allowed values as drop-down lists and refuse numbers out of range, then a notice sheet: for each
column its label, stored name, whether it is required, its rule, its allowed values and an
example). Either label, or the stored name, is accepted back as a header.
"""

from __future__ import annotations

import csv
import io
from typing import Literal

from temoin.contract.model import Contract
from temoin.i18n import Translator
from temoin.i18n.contract_labels import category_label
from temoin.services.cohort_columns import Column, participant_columns, wave_columns

__all__ = ["FileKind", "column_labels", "columns_of", "template_csv", "template_xlsx"]

FileKind = Literal["participants", "wave"]
DATA_ROWS = 5_000
"""Rows of the data sheet given the drop-down lists and ranges."""


def columns_of(contract: Contract, kind: FileKind) -> list[Column]:
    return participant_columns(contract) if kind == "participants" else wave_columns(contract)


def column_labels(contract: Contract, kind: FileKind, lang: str) -> dict[str, str]:
    """Each column's stored name → its label in ``lang``, as a refused file's problems name them."""
    return {c.name: c.label(lang) for c in columns_of(contract, kind)}


def template_csv(contract: Contract, kind: FileKind, t: Translator) -> bytes:
    """The header row of column labels, UTF-8 with a byte-order mark (so that Excel reads the accents)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=";" if t.lang == "fr" else ",").writerow([c.label(t.lang) for c in columns_of(contract, kind)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


LIST_LIMIT = 255
"""Characters an XLSX drop-down list written in its rule may hold (Excel's limit)."""


def _allowed(c: Column, t: Translator, contract: Contract) -> list[str]:
    """The values offered: yes and no in the reader's words, or each category by its label in the
    reader's language (an upload reads labels back); its codes when a label would break the list
    (a comma or a quote in it, or more than Excel keeps)."""
    if c.kind == "yes_no":
        return [t("yes"), t("no")]
    if c.kind == "number" and (c.minimum, c.maximum) == (0, 1):
        return [t("yes"), t("no"), "1", "0"]
    labels = [category_label(contract, code, t, c.name) for code in c.categories]
    fits = len(set(labels)) == len(labels) and not any("," in w or '"' in w for w in labels)
    return labels if fits and len(",".join(labels)) <= LIST_LIMIT else list(c.categories)


def template_xlsx(contract: Contract, kind: FileKind, t: Translator) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    cols = columns_of(contract, kind)
    wb = Workbook()
    data = wb.active
    data.title = t("Participants") if kind == "participants" else t("Wave")
    data.append([c.label(t.lang) for c in cols])
    data.freeze_panes = "A2"
    for i, c in enumerate(cols, start=1):
        letter = get_column_letter(i)
        data.cell(row=1, column=i).font = Font(bold=True)
        data.column_dimensions[letter].width = max(14, min(40, len(c.label(t.lang)) + 4))
        cells = f"{letter}2:{letter}{DATA_ROWS + 1}"
        allowed = _allowed(c, t, contract)
        if allowed:
            rule = DataValidation(type="list", formula1='"' + ",".join(allowed) + '"', allow_blank=not c.required)
        elif c.kind == "number" and (c.minimum is not None or c.maximum is not None):
            low, high = c.minimum, c.maximum
            rule = (DataValidation(type="decimal", operator="between", formula1=str(low), formula2=str(high))
                    if low is not None and high is not None else
                    DataValidation(type="decimal", operator="greaterThanOrEqual" if low is not None else "lessThanOrEqual",
                                   formula1=str(low if low is not None else high)))
            rule.allow_blank = not c.required
        else:
            continue
        rule.error = t.render(c.rule)
        rule.errorTitle = c.label(t.lang)
        rule.prompt = t.render(c.rule)
        rule.showErrorMessage = rule.showInputMessage = True
        data.add_data_validation(rule)
        rule.add(cells)
    notice = wb.create_sheet(t("Notice"))
    notice.append([t("Column"), t("Name in Témoin"), t("Required"), t("Rule"), t("Allowed values"), t("Example")])
    for cell in notice[1]:
        cell.font = Font(bold=True)
    for c in cols:
        notice.append([c.label(t.lang), c.name, t("yes") if c.required else t("no"), t.render(c.rule),
                       ", ".join(_allowed(c, t, contract)),
                       category_label(contract, c.example, t, c.name) if c.kind == "category" else c.example])
    notice.append([])
    notice.append([t("Fill in the first sheet, one row per person; the header may hold the labels or the names in Témoin. "
                     "Values are read without regard to case or accents (Lille is lille), and the import says so.")])
    for letter, width in zip("ABCDEF", (32, 24, 12, 60, 40, 16), strict=True):
        notice.column_dimensions[letter].width = width
    for row in notice.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
