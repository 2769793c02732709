"""Contracts, settlement and money through the one catalogue (issue 15): words in both languages,
labels instead of codes, stored records of the older form still read, and nothing raw on screen."""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import re
import typing
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.cli import app
from temoin.cli.settlement_view import render_risk, render_settlement
from temoin.contract import load_contract
from temoin.contract import model as m
from temoin.errors import (
    ContractValidationError,
    CurrencyMismatchError,
    InvalidInputError,
    TemoinError,
)
from temoin.evaluation.result import EvidenceGrade
from temoin.i18n import Translator, catalogue
from temoin.messages import Amount, Msg
from temoin.money import Money, to_decimal
from temoin.reports.report import render_html
from temoin.services.contracts import get_contract, import_contract
from temoin.services.reports import build_report
from temoin.services.settlements import approve, get_settlement, run_settlement
from temoin.settings import Settings
from temoin.settlement import Notice, settle, simulate
from temoin.settlement.approvals import ApprovalKind, SettlementStatus
from temoin.settlement.caps import CAP_ORDER
from temoin.settlement.inputs import check_inputs, results_from_data
from temoin.settlement.payments import EntitlementStatus
from temoin.store import session_scope
from temoin.store.settlements import SettlementRepository, digest

SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"
EXAMPLES = SRC / "examples" / "contracts"
FR, EN = Translator("fr"), Translator("en")
ROWS = [{"indicator": "placement_days", "wave": "m12", "improvement": 30, "improvement_lower": 18,
         "n_treated_followed": 368, "grade": "meets_without_reservations"},
        {"indicator": "placement_days", "wave": "m24", "improvement": 52, "improvement_lower": 35,
         "n_treated_followed": 368, "grade": "meets_without_reservations"}]
runner = CliRunner()


# --- the catalogue holds every message and label of this area ------------------------------------

AREA = [SRC / "errors.py", SRC / "money.py", *sorted((SRC / "contract").glob("*.py")),
        *sorted((SRC / "settlement").glob("*.py")), *sorted((SRC / "examples").glob("*.py")),
        SRC / "services" / "settlements.py", SRC / "cli" / "settlement_view.py", SRC / "cli" / "contract.py"]


def _literal_ids(path: Path) -> set[str]:
    """The message identifiers written literally in ``path``: ``Msg("…")``, and ``t("…")`` in the renderers."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("Msg", "t", "tr") \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_of_the_area_is_in_the_catalogue(lang: str) -> None:
    words = catalogue(lang)
    missing = sorted({(p.name, i) for p in AREA for i in _literal_ids(p) if i not in words})
    assert not missing
    assert sum(len(_literal_ids(p)) for p in AREA) > 250  # the scan does find the area's messages


def _literal_codes(annotation: object) -> tuple[str, ...]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return tuple(str(a) for a in args)
    return tuple(c for a in args for c in _literal_codes(a))


CLOSED_SETS: dict[str, tuple[str, ...]] = {
    "role": tuple(r.value for r in m.Role), "design": tuple(d.value for d in m.Design), "seat": tuple(s.value for s in m.Seat),
    "party_kind": _literal_codes(m.Party.model_fields["kind"].annotation),
    "payment_basis": _literal_codes(m.Payments.model_fields["basis"].annotation),
    "accumulation": _literal_codes(m.Payments.model_fields["accumulation"].annotation),
    "instrument": _literal_codes(m.Investment.model_fields["instrument"].annotation),
    "seniority": _literal_codes(m.Investment.model_fields["seniority"].annotation),
    "policy_sector": _literal_codes(m.Contract.model_fields["policy_sector"].annotation),
    "indicator_direction": _literal_codes(m.Indicator.model_fields["direction"].annotation),
    "data_source": _literal_codes(m.Indicator.model_fields["data_source"].annotation),
    "committee_kind": _literal_codes(m.Committee.model_fields["kind"].annotation),
    "cost_kind": _literal_codes(m.Cost.model_fields["kind"].annotation),
    "return_cap_kind": _literal_codes(m.ReturnCap.model_fields["kind"].annotation),
    "entitlement_status": tuple(s.value for s in EntitlementStatus), "cap": CAP_ORDER,
    "approval_kind": tuple(k.value for k in ApprovalKind), "settlement_status": tuple(s.value for s in SettlementStatus),
    "evidence_grade": tuple(g.value for g in EvidenceGrade),
}


@pytest.mark.parametrize("kind", sorted(CLOSED_SETS))
def test_every_code_of_a_closed_set_has_words_in_both_languages(kind: str) -> None:
    codes = CLOSED_SETS[kind]
    assert len(codes) >= 2
    for code in codes:
        fr, en = FR.label(kind, code), EN.label(kind, code)
        assert f"label:{kind}:{code}" in catalogue("fr") and f"label:{kind}:{code}" in catalogue("en")
        assert "_" not in fr + en, (kind, code, fr, en)  # words, not the code
    assert len({FR.label(kind, c) for c in codes}) == len(codes)  # two codes never read the same


def test_enum_members_read_by_their_label() -> None:
    assert FR.label(m.Role.OBSERVER) == "observateur de la société civile"
    assert EN.label(m.Design.STRATIFIED_RCT) == "stratified randomised trial"
    assert FR.label(EntitlementStatus.BELOW_THRESHOLD) == "sous le seuil"
    assert FR.label(ApprovalKind.PAYER_APPROVAL) == "approbation du payeur"


def test_evidence_grade_words_are_the_same_in_the_catalogue_and_on_the_grade() -> None:
    for g in EvidenceGrade:
        assert FR.label(g) == g.label_fr and EN.label(g) == g.label_en


# --- messages read in French and in English -------------------------------------------------------

def test_money_errors_read_in_both_languages() -> None:
    with pytest.raises(InvalidInputError) as info:
        to_decimal("douze", path="caps.total")
    assert FR.error(info.value) == ("caps.total: « douze » n'est pas un montant. Écrivez un nombre, par exemple 1500000.00. "
                                    "[money.not_a_number]")
    assert EN.error_message(info.value) == "'douze' is not an amount."
    with pytest.raises(CurrencyMismatchError) as mixed:
        Money.of(1, "EUR") + Money.of(1, "GBP")
    assert FR.error_message(mixed.value) == "Devises mélangées : EUR et GBP."
    assert FR.error_hint(mixed.value) == "Exprimez tous les montants d'un contrat dans sa devise."


def test_settlement_input_errors_read_in_both_languages() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    rows = copy.deepcopy(ROWS)
    rows[1]["wave"] = "m36"
    with pytest.raises(InvalidInputError) as info:
        check_inputs(c, results_from_data(c, 1, rows), 1, None, ())
    assert FR.error_message(info.value) == "Vague inconnue dans les résultats : « m36 »."
    assert FR.error_hint(info.value) == "Vagues du contrat : m12, m24."
    with pytest.raises(InvalidInputError) as early:
        check_inputs(c, [], None, dt.date(2020, 1, 2), ())
    assert FR.error_message(early.value) == ("La date de règlement (2 janvier 2020) précède le début du contrat "
                                             "(1 janvier 2025).")
    assert EN.error_message(early.value) == ("The settlement date (2 January 2020) is before the contract starts "
                                             "(1 January 2025).")


def test_a_settlement_notice_carries_its_values_as_data() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    s = settle(c, results_from_data(c, 1, ROWS[:1]), contract_version=1, as_of=dt.date(2027, 12, 31), break_even=False)
    n = next(n for n in s.notices if n.code == "figures_to_date")
    assert FR.render(n.message) == ("Règlement non définitif : les montants des investisseurs sont à date ; aucune perte "
                                    "ni aucun TRI n'est encore arrêté.")
    assert Notice.from_dict(json.loads(json.dumps(n.to_dict()))) == n
    called = Notice("guarantee_called", "alert", Msg("Guarantee called: {guarantor} pays {amount} to {investor}.",
                                                      guarantor="g", amount=Amount("1500.5", "EUR"), investor="i"))
    assert FR.render(called.message) == "Garantie appelée : g verse 1\u202f500,50\u00a0€ à i."
    assert Notice.from_dict(json.loads(json.dumps(called.to_dict()))) == called


def test_a_risk_refusal_reads_in_french() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    with pytest.raises(InvalidInputError) as info:
        simulate(c, 0, 1)
    assert FR.error_message(info.value) == "Nombre de scénarios hors limites : 0."
    assert FR.error_hint(info.value) == "Entre 1 et 20\u202f000\u202f000."


# --- what people read: the settlement, the risk, the safeguards -----------------------------------

RAW = re.compile(r"\b(?:" + "|".join(sorted({c for codes in CLOSED_SETS.values() for c in codes if "_" in c}, key=len,
                                                 reverse=True)) + r")\b")
ENGLISH = re.compile(r"\b(?:Cumulative|paid on|Amount due|Investors?|Probability|Assumptions|caps?|EUR)\b")


def _printed(render: typing.Callable[[Console], None]) -> str:
    out = Console(record=True, width=200, color_system=None)
    render(out)
    return out.export_text()


def test_a_french_settlement_shows_labels_french_numbers_and_no_code() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    rows = copy.deepcopy(ROWS)
    rows[0]["improvement_lower"] = 5  # below the threshold at the first wave
    s = settle(c, results_from_data(c, 1, rows), contract_version=1)
    text = _printed(lambda out: render_settlement(s, out, Translator("fr")))
    assert "sous le seuil" in text and "Plafond de rendement des investisseurs" in text and "Montant dû" in text
    assert "30 septembre 2027" in text and "premières pertes" not in text
    assert FR.money(s.total_paid.amount) in text and re.fullmatch(r"1\u202f\d{3}\u202f\d{3},\d\d\u00a0€",
                                                                   FR.money(s.total_paid.amount))
    assert not RAW.search(text), RAW.search(text)
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert not re.search(r"\d\.\d\d\b", text)  # no number written the English way
    english = _printed(lambda out: render_settlement(s, out, Translator("en")))
    assert "below the threshold" in english and "Investor return cap" in english
    assert EN.money(s.total_paid.amount) in english and EN.money(s.total_paid.amount).startswith("€1,")
    assert not RAW.search(english)


def test_a_french_risk_simulation_reads_in_french() -> None:
    c = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    r = simulate(c, 2_000, 7)
    text = _printed(lambda out: render_risk(r, out, Translator("fr")))
    assert "Probabilité de payer alors que le programme n'a aucun effet réel" in text
    assert re.search(r"\d,\d\d\u00a0%", text) and "2\u202f000 scénarios, graine 7" in text
    assert not [w for w in ("Probability", "Risk simulation", "median", "EUR") if w in text]


def test_the_safeguard_report_reads_in_french_through_the_command_line(tmp_path: Path) -> None:
    res = runner.invoke(app, ["--lang", "fr", "contract", "check", str(EXAMPLES / "relais-familial.yaml"), "--json"])
    findings = {f["code"]: f for f in json.loads(res.stdout)}
    assert findings["S01"]["title"] == "Contrefactuel" and "(cible absolue)" in findings["S01"]["message"]
    bad = tmp_path / "c.yaml"
    data = yaml.safe_load((EXAMPLES / "aemo-renforcee.yaml").read_text(encoding="utf-8"))
    data["evaluation"]["analysis_plan"]["covariate"] = data["evaluation"]["analysis_plan"].pop("covariates")
    data["population"]["expected_size"] = "beaucoup"
    data["end_date"] = data["start_date"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = runner.invoke(app, ["--lang", "fr", "contract", "check", str(bad)])
    assert out.exit_code == 1 and "Traceback" not in out.output
    text = " ".join(out.output.split())
    assert "Le contrat n'est pas valide (" in text and "Vouliez-vous dire « covariates » ?" in text
    assert "« beaucoup » n'est pas un nombre entier." in text and "La date de fin ne suit pas la date de début." in text
    assert "Input should" not in text and "Unknown key" not in text


# --- stored records of the older form still read ----------------------------------------------------

def _older_form(outputs: dict[str, object]) -> dict[str, object]:
    """A settlement's outputs as the release before messages stored them: notices as French and
    English texts, caps with their French and English labels."""
    old = copy.deepcopy(outputs)
    labels = {"investor_return": ("Plafond de rendement des investisseurs", "Investor return cap")}
    for p in old["periods"]:  # type: ignore[attr-defined]
        for cap in p["caps"]:
            fr, en = labels.get(cap["name"], (cap["name"], cap["name"]))
            cap.update({"label_fr": fr, "label_en": en})
    old["notices"] = [{"code": "payments_above_savings", "level": "alert",
                       "fr": "p2 : les paiements cumulés (1 379 672.38 EUR) dépassent les économies publiques réalisées.",
                       "en": "p2: cumulative payments (1 379 672.38 EUR) exceed realised public savings."}]
    return old


def test_a_settlement_recorded_in_the_older_form_loads_renders_and_keeps_its_hash(sqlite_engine: Engine) -> None:
    import_contract(sqlite_engine, EXAMPLES / "aemo-renforcee.yaml", actor="test")
    stored = get_contract(sqlite_engine, "aemo-renforcee")
    new, _ = run_settlement(sqlite_engine, "aemo-renforcee", actor="test",
                            results=results_from_data(stored.contract, stored.version, ROWS))
    assert all("message" in n for n in new.outputs["notices"])  # type: ignore[union-attr]
    old_outputs = _older_form(new.outputs)
    with session_scope(sqlite_engine) as s:
        old = SettlementRepository(s).add(
            contract_id="aemo-renforcee", contract_version=new.contract_version, contract_hash=new.contract_hash,
            as_of=None, currency="EUR", total_paid=new.total_paid.amount, final=True, inputs=new.inputs,
            outputs=old_outputs, actor="older-release", supersedes_id=None, reason=None)
        old_id, old_hash = old.id, old.outputs_hash
    approve(sqlite_engine, old_id, kind="evaluator_certification", party_id="labo-eval", person="J. D.", actor="test")
    again = get_settlement(sqlite_engine, old_id)
    assert again.outputs == old_outputs and again.outputs_hash == old_hash == digest(again.outputs)
    for lang, words in (("fr", "p2 : les paiements cumulés"), ("en", "p2: cumulative payments")):
        data = build_report(sqlite_engine, "aemo-renforcee", settings=Settings(), lang=lang)
        assert data.settlement is not None and data.settlement["recorded_id"] == old_id
        assert [n["text"][:len(words)] for n in data.settlement["notices"]] == [words]
        html = render_html(data)
        assert words in html
        assert (("plafond de rendement des investisseurs", "certification par l'évaluateur") if lang == "fr"
                else ("investor return cap", "evaluator certification"))[0] in html
        assert "evaluator_certification" not in html.split("<body>", 1)[1]
    assert get_settlement(sqlite_engine, old_id).outputs_hash == old_hash  # reading it changed nothing


def test_stored_texts_of_the_older_form_stay_readable() -> None:
    """Errors are messages only (the French/English form of errors is gone: nothing stored them),
    while texts stored in both languages by the previous release still read in the reader's half."""
    with pytest.raises(TypeError):
        TemoinError("x.legacy", "Ancienne forme.", "Older form.", path="a")  # type: ignore[arg-type, call-arg]
    mixed = ContractValidationError([TemoinError("contract.no_end", Msg("Required field missing."), path="a"),
                                     TemoinError("contract.no_payer", Msg("No outcome payer."), path="parties")])
    assert FR.error(mixed).splitlines() == ["Le contrat n'est pas valide (2 problèmes).",
                                            "  - a: Champ obligatoire manquant. [contract.no_end]",
                                            "  - parties: Aucun payeur aux résultats. [contract.no_payer]"]
