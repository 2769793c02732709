"""Issue 15, the reports, governance and open data: what a reader reads is in their language.

Both report kinds (internal and public), as HTML and as the PDF's text (pdftotext), in French and in
English, hold no word of the other language, no raw code, no ISO date and no number written the
other language's way; governance verdicts and INDIGO warnings read in both languages; records stored
in the older form (a call decided before, an import's warnings) still read and keep their digest.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from tests.conftest import missing_component
from tests.test_reports_render import _populate

from temoin.errors import ConflictError
from temoin.governance.budget import BudgetBasis, Flag
from temoin.governance.ledger import (
    AuditStatus,
    ChainStatus,
    RecordKind,
    RecordProblem,
    RecordProblemKind,
)
from temoin.governance.roles import RoleAssignment, check_assignment
from temoin.governance.selection import Recusal, recusal_words
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.opendata._cleaning import read_date, read_percentage
from temoin.opendata.indigo_records import ImportWarning
from temoin.reports import charts
from temoin.reports.notices import said_in
from temoin.reports.report import render_html, render_pdf
from temoin.services.governance import _record_as_before
from temoin.services.reports import build_report
from temoin.settings import Settings
from temoin.store import make_engine, migrate

SETTINGS = Settings()
CONTRACT = "aemo-renforcee"

# Words a reader of the other language would notice; none of them is in the bundled contract's own
# data (party names, titles, sources), which stay as their authors wrote them.
ENGLISH = ["Settlement", "payment", "Improvement", "suppressed", "Safeguard", "wave", "days", "Cumulative", "Investor",
           "Realised", "Budget watch", "ledger", "Evidence grade", "threshold", "Generated on", "Period", "Locked",
           "share of children", "outcome payer", "Randomised", "control", "IRR", "Cap:", "alert", "n/a", "month"]
FRENCH = ["Règlement", "paiement", "Amélioration", "masqué", "Garde-fou", "vague", "jours", "cumulé", "Investisseur",
          "Économies", "Veille budgétaire", "journal", "Niveau de preuve", "seuil", "Édité le", "Période", "Verrouillé",
          "payeur aux résultats", "Randomisés", "témoin", "TRI", "Plafond", "alerte", "n.d.", "mois", "effectif"]
CODE = re.compile(r"\b[a-z]+_[a-z0-9]+(?:_[a-z0-9]+)*\b")  # outcome_payer, very_high, meets_without_reservations…
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
HASH = re.compile(r"\b[0-9a-f]{64}\b")
# English figures in French: a decimal point, or thousands grouped with commas ("150 000.00 EUR", "1,150").
ENGLISH_NUMBER = re.compile(r"\d\.\d|\b[1-9]\d{0,2}(?:,\d{3})+\b")
# French figures in English: a decimal comma (one or two digits after), or thousands grouped with spaces.
FRENCH_NUMBER = re.compile(r"\d,\d{1,2}\b|\d[\u202f\u00a0 ]\d{3}\b")


def problems(text: str, lang: str) -> list[tuple[str, str, str]]:
    """What a reader of ``lang`` should not meet in ``text``: (kind, what, where)."""
    text = HASH.sub("<hash>", text)
    found: list[tuple[str, str, str]] = []

    def where(start: int, end: int) -> str:
        return text[max(0, start - 50): end + 50]

    for word in ENGLISH if lang == "fr" else FRENCH:
        for m in re.finditer(r"(?<!\w)" + re.escape(word) + r"(?!\w)", text):
            found.append(("other language", word, where(m.start(), m.end())))
    for kind, pattern in (("raw code", CODE), ("ISO date", ISO_DATE),
                          ("foreign number", ENGLISH_NUMBER if lang == "fr" else FRENCH_NUMBER)):
        found += [(kind, m.group(0), where(m.start(), m.end())) for m in pattern.finditer(text)]
    return found


def page_text(html: str) -> str:
    """The words of a page (charts included), cells kept apart so that two numbers never run together."""
    text = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " | ", text))


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = make_engine(f"sqlite:///{tmp_path_factory.mktemp('i18n-reports') / 'temoin.db'}")
    migrate(eng)
    _populate(eng)
    yield eng
    eng.dispose()


def test_the_checks_notice_what_they_look_for() -> None:
    """The checks themselves, on the faults the reports had before (issue 15)."""
    assert {k for k, _, _ in problems("Capital investi 150 000.00 EUR", "fr")} == {"foreign number"}
    assert {w for _, w, _ in problems("Rôles : outcome_payer, stratified_rct", "fr")} == {"outcome_payer", "stratified_rct"}
    assert {k for k, _, _ in problems("Improvement 0,1 [-0,0 ; 0,1] on 2026-12-03", "en")} == {"foreign number", "ISO date"}
    assert {w for _, w, _ in problems("Amélioration (days, positive = mieux)", "fr")} == {"days"}
    assert {w for _, w, _ in problems("Verdict : masqué", "en")} == {"masqué"}
    assert not problems("Capital investi 1\u202f200\u202f000,00\u00a0€ · 14,51 jours", "fr")
    assert not problems("Capital invested €1,200,000.00 · 14.51 days", "en")


@pytest.mark.parametrize("public", [False, True], ids=["internal", "public"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_html_report_reads_in_one_language(reports: Engine, lang: str, public: bool) -> None:
    html = render_html(build_report(reports, CONTRACT, settings=SETTINGS, lang=lang, public=public))
    text = page_text(html)
    assert problems(text, lang) == []
    words = Translator(lang)
    # the section titles, a label and the formats of the reader
    for title in ("Transparency report", "Settlement: payments, caps, realised savings", "Audit ledger"):
        assert words(title) in text
    assert words.label("design", "stratified_rct") in text
    if lang == "fr":
        assert "1\u202f200\u202f000,00\u00a0€" in text and "1 janvier 2025" in text and "Niveau de risque = très élevé" in text
    else:
        assert "€1,200,000.00" in text and "1 January 2025" in text and "Risk level = very high" in text


@pytest.mark.parametrize("public", [False, True], ids=["internal", "public"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_pdf_report_reads_in_one_language(reports: Engine, lang: str, public: bool, tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        missing_component("pdftotext (Debian package poppler-utils) is not installed")
    path = tmp_path / "report.pdf"
    path.write_bytes(render_pdf(build_report(reports, CONTRACT, settings=SETTINGS, lang=lang, public=public)))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert len(text) > 2000, "the PDF holds text"
    assert problems(text, lang) == []
    assert "EUR" not in text  # "150 000.00 EUR" before: amounts now read the reader's way
    assert ("€1,200,000.00" if lang == "en" else "1 200 000,00 €") in text.replace("\u202f", " ").replace("\u00a0", " ")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_charts_on_their_own_read_in_one_language(lang: str) -> None:
    flow = {"referred": 1020, "eligible": 940, "consented": 812, "randomised": {"treated": 406, "control": None},
            "waves": [{"wave": "m12", "treated": 380, "control": 371}]}
    svgs = [charts.consort(flow, lang=lang),
            charts.attrition_chart([{"wave": "m12", "overall_pct": 12.0, "differential_pp": 1.0}], lang=lang),
            charts.impact_chart([{"label": "X", "improvement": 1234.5, "ci_low": -0.004, "ci_high": 2500.25}], lang=lang,
                                threshold=10),
            charts.power_curve([{"true_effect": 0.0, "power": 0.05, "p_paid": 0.05},
                                {"true_effect": 1.5, "power": 0.8, "p_paid": 0.75}], lang=lang),
            charts.investor_flows([{"investor": "Banque", "irr": -0.17,
                                    "flows": [{"date": "2025-01-15", "amount": "-300000"},
                                              {"date": "2028-09-30", "amount": "150000"}]}], lang=lang),
            charts.public_cost_chart({"outcome_payments": "0", "transaction_costs": [{"kind": "structuring", "amount": "60000"}],
                                      "direct_cost": "1200000", "realised_savings": "244752.87", "extra_cost": "-960000",
                                      "extra_cost_share": -0.8}, lang=lang)]
    for svg in svgs:
        assert problems(page_text(svg), lang) == [], svg[:200]
    joined = " ".join(page_text(s) for s in svgs)
    assert ("15 janvier 2025" if lang == "fr" else "15 January 2025") in joined
    assert ("structuration" if lang == "fr" else "structuring") in joined


def test_a_governance_verdict_in_both_languages() -> None:
    """An incompatible role, a broken chain, a record that differs and a budget alert, as each reader reads them."""
    fr, en = Translator("fr"), Translator("en")
    with pytest.raises(ConflictError) as info:
        check_assignment([RoleAssignment("c1", "alice", "labo", "evaluator")], RoleAssignment("c1", "alice", "bank", "investor"))
    assert fr.error_message(info.value) == ("alice est évaluateur dans le contrat c1 : il ou elle ne peut pas y être aussi "
                                            "investisseur.")
    assert en.error_message(info.value) == "alice is evaluator in contract c1: they cannot also be investor there."
    broken = ChainStatus(False, 12, "0" * 64, first_bad_seq=7, problem="deleted")
    assert fr.render(broken.describe()) == "Chaîne rompue : l'entrée n° 7 a été supprimée (ou une entrée manque avant elle)."
    assert en.render(broken.describe()) == "Chain broken: entry #7 was deleted (or an entry before it is missing)."
    problem = RecordProblem(RecordKind.SETTLEMENT, "4", RecordProblemKind.DIFFERS, 9,
                            Msg("{name} is {stored} in the database, {entered} in the ledger", name="total", stored="1", entered="2"))
    lines = AuditStatus(ChainStatus(True, 12, "0" * 64), 3, (problem,)).describe()
    assert [fr.render(m) for m in lines][1] == ("Premier enregistrement qui ne correspond plus au journal : règlement 4 "
                                                "(entrée n° 9) diffère de son entrée du journal : total vaut 1 en base, 2 au journal.")
    flag = Flag(2027, "ASE-AEMO", "Aide éducative en milieu ouvert", "Home-based support", Decimal("-0.0153"),
                Decimal("0"), Decimal("1000000"), BudgetBasis.COMMITMENTS)
    assert fr.render(flag.message("fr")) == ("2027 : « Aide éducative en milieu ouvert » (obligatoire) baisse de 1,5\u00a0% en "
                                             "euros constants pendant que les montants du CIS engagés augmentent "
                                             "(0,00\u00a0€ → 1\u202f000\u202f000,00\u00a0€).")
    assert en.render(flag.message("en")) == ("2027: 'Home-based support' (mandatory) falls 1.5% in real terms while the CIS "
                                             "amounts committed rise (€0.00 → €1,000,000.00).")
    whole = Flag(2027, "*", "", "", Decimal("-0.02"), Decimal("0"), Decimal("10"), BudgetBasis.PAYMENTS)
    assert "« Ensemble des dépenses obligatoires »" in fr.render(whole.message("fr")) and "payés" in fr.render(whole.message("fr"))


def test_an_indigo_warning_in_both_languages() -> None:
    fr, en = Translator("fr"), Translator("en")
    date = read_date("2024-13-01")
    w = ImportWarning("projects/projects.csv", 3, "start_date", "2024-13-01", str(date.code), date.message or Msg("defect"))
    assert fr.render(w.describe()) == ("projects/projects.csv, ligne 3, start_date = '2024-13-01' : mois 13 impossible : "
                                       "date ignorée [indigo.bad_date]")
    assert en.render(w.describe()) == ("projects/projects.csv, row 3, start_date = '2024-13-01': month 13 does not exist: "
                                       "date dropped [indigo.bad_date]")
    fraction = read_percentage(0.125)
    assert fr.render(fraction.message) == "0,125 lu comme une fraction : 12,5\u00a0% retenu"
    assert en.render(fraction.message) == "0.125 read as a fraction: 12.5% kept"
    # stored as data: codes and values, the message by its identifier
    stored = w.to_dict()
    assert stored["message"] == {"id": "month {month} does not exist: date dropped", "params": {"month": "13"}}
    assert ImportWarning.stored_message(stored) == date.message


def test_an_import_stored_before_keeps_its_french_and_english_texts() -> None:
    older = {"file": "p.csv", "row": 2, "field": "x", "value": "", "code": "indigo.bad_date", "project": "",
             "message_fr": "date impossible : ignorée", "message_en": "impossible date: dropped"}
    assert ImportWarning.stored_message(older) == ("date impossible : ignorée", "impossible date: dropped")
    assert said_in(Translator("fr"), {"fr": "conflit déclaré : x", "en": "declared conflict: x"}) == "conflit déclaré : x"
    assert said_in(Translator("en"), {"fr": "conflit déclaré : x", "en": "declared conflict: x"}) == "declared conflict: x"


def test_a_call_decided_before_keeps_its_digest() -> None:
    """A decided call's record is hashed into the ledger; the recusals were explained in French and
    English texts then (the previous release's wording, written out here): the older form is rebuilt
    from today's record to check its digest."""
    recusal = Recusal("karim", "horizon", "standing_interest", "horizon")
    record = {"call": "c1", "recusals": [{"person": "karim", "application": "horizon", "reason": "standing_interest",
                                          "explanation": recusal_words(recusal).to_dict()}]}
    assert _record_as_before(record)["recusals"][0]["explanation"] == {"fr": "intérêt déclaré dans horizon",
                                                                       "en": "declared interest in horizon"}
    declared = {**record, "recusals": [{**record["recusals"][0], "reason": "declared",
                                        "explanation": recusal_words(Recusal("k", "a", "declared", "board member")).to_dict()}]}
    assert _record_as_before(declared)["recusals"][0]["explanation"] == {"fr": "conflit déclaré : board member",
                                                                         "en": "declared conflict: board member"}
    # and the reader reads today's record in their language
    assert said_in(Translator("fr"), record["recusals"][0]["explanation"]) == \
        "intérêt durable dans horizon, inscrit dans la composition du comité"


def test_the_report_dates_are_the_readers(reports: Engine) -> None:
    data = build_report(reports, CONTRACT, settings=SETTINGS, lang="fr", public=False)
    data.generated_at = dt.datetime(2026, 12, 3, 8, 42, tzinfo=dt.UTC).isoformat()
    assert "Édité le 3 décembre 2026 à 09:42" in page_text(render_html(data))
