"""``temoin settlement show`` renders a recorded settlement for people, in the reader's language
(issue 15): its status, the results used, each period's entitlements and caps, the investors' flows
and the sign-offs, with labels instead of codes and the reader's numbers and dates; ``--json`` keeps
the stored record for programs. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.cli import build_app
from temoin.services.contracts import get_contract, import_contract
from temoin.services.settlements import approve, get_settlement, run_settlement
from temoin.settlement.inputs import results_from_data

EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
ROWS = [{"indicator": "placement_days", "wave": "m12", "improvement": 30, "improvement_lower": 18,
         "n_treated_followed": 368, "grade": "meets_without_reservations"},
        {"indicator": "placement_days", "wave": "m24", "improvement": 52, "improvement_lower": 35,
         "n_treated_followed": 368, "grade": "meets_without_reservations"}]
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def recorded(cli_env: Engine) -> tuple[int, dt.datetime, dt.datetime]:
    """The record's id, when it was recorded and when it was certified (stored in UTC)."""
    import_contract(cli_env, EXAMPLE, actor="test")
    stored = get_contract(cli_env, "aemo-renforcee")
    rec, _ = run_settlement(cli_env, "aemo-renforcee", actor="dept-nord",
                            results=results_from_data(stored.contract, stored.version, ROWS))
    approve(cli_env, rec.id, kind="evaluator_certification", party_id="labo-eval", person="J. D.", actor="test")
    again = get_settlement(cli_env, rec.id)
    return rec.id, again.created_at, again.approvals[0].at


def _when(t: dt.datetime, lang: str) -> str:
    """A stored UTC time as the reader reads it, in Paris (written out with Babel's own patterns)."""
    local = t.replace(tzinfo=dt.UTC).astimezone(PARIS) if t.tzinfo is None else t.astimezone(PARIS)
    return format_datetime(local, "d MMMM y 'à' HH:mm" if lang == "fr" else "d MMMM y 'at' HH:mm",
                           locale="fr_FR" if lang == "fr" else "en_GB")


def _show(lang: str, *args: str) -> list[str]:
    res = CliRunner().invoke(build_app(lang), ["--lang", lang, "settlement", "show", *args], env={"COLUMNS": "130"})
    assert res.exit_code == 0, res.output
    # the table's rules and runs of spaces taken out; the reader's no-break spaces (1 379 672,38 €) kept
    return [re.sub(" +", " ", line.replace("│", " ").replace("┃", " ")).strip() for line in res.output.splitlines()]


def test_a_recorded_settlement_reads_word_for_word_in_french(recorded: tuple[int, dt.datetime, dt.datetime]) -> None:
    number, made, certified = recorded
    lines = _show("fr", str(number))
    head = lines[:7]
    assert head == [f"Règlement n° {number} — contrat aemo-renforcee, version 1",
                    "Statut : en vigueur",
                    "Réglé sur toutes les périodes",
                    "Règlement définitif : oui",
                    f"Enregistré le {_when(made, 'fr')} par dept-nord",
                    "Total payé : 1\u202f379\u202f672,38\u00a0€",
                    "Base de paiement : borne basse de l'intervalle de confiance de l'impact"]
    assert "Résultats retenus" in lines
    assert ("Journées de placement, vague m12 : amélioration 30, borne basse de l'intervalle de confiance 18, "
            "368 participants suivis — satisfait aux standards sans réserve") in lines
    assert "p1 — Première période (12 mois) (paiement le 30 septembre 2027)" in lines
    assert ("Droit cumulé Journées de placement (impact vérifié 18 × 368, payé) 993\u202f600,00\u00a0€") in lines
    assert "− Plafond de rendement des investisseurs 1\u202f379\u202f672,38\u00a0€ −552\u202f327,62\u00a0€" in lines
    assert "Montant dû 386\u202f072,38\u00a0€" in lines
    assert "→ Fonds Enfance et Territoires (fictif) 251\u202f318,09\u00a0€" in lines
    flows = lines.index("Flux de Banque Solidaire du Nord (fictive) (versé en négatif, reçu en positif) :")
    assert lines[flows + 1:flows + 5] == ["15 janvier 2025 : −600\u202f000,00\u00a0€", "15 juillet 2025 : −300\u202f000,00\u00a0€",
                                          "30 septembre 2027 : 900\u202f000,00\u00a0€",
                                          "30 septembre 2028 : 134\u202f754,29\u00a0€"]
    assert lines[-2:] == ["Validations", "Certification par l'évaluateur : J. D. (Laboratoire indépendant d'évaluation "
                                         f"des politiques sociales (fictif)), {_when(certified, 'fr')}"]
    text = "\n".join(lines)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), "a raw code on a French screen"
    assert not re.search(r"\d\.\d", text) and "€1" not in text, "an English number on a French screen"
    for english in ("Status", "paid", "Investors", "Sign-offs", "Results used"):
        assert not re.search(rf"\b{english}\b", text), english


def test_a_recorded_settlement_reads_word_for_word_in_english(recorded: tuple[int, dt.datetime, dt.datetime]) -> None:
    number, made, certified = recorded
    lines = _show("en", str(number))
    assert lines[:7] == [f"Settlement #{number} — contract aemo-renforcee, version 1",
                         "Status: current",
                         "Settled over every period",
                         "Final settlement: yes",
                         f"Recorded on {_when(made, 'en')} by dept-nord",
                         "Total paid: €1,379,672.38",
                         "Payment basis: lower confidence bound of the impact"]
    assert ("Placement days, wave m24: improvement 52, lower confidence bound 35, 368 participants followed — "
            "meets standards without reservations") in lines
    assert "p2 — Second period (24 months) (paid on 30 September 2028)" in lines
    assert "− Investor return cap €1,379,672.38 −€552,327.62" in lines
    flows = lines.index("Flows of Fonds Enfance et Territoires (fictif) (paid in negative, received in positive):")
    assert lines[flows + 1:flows + 4] == ["15 January 2025: −€300,000.00", "30 September 2027: €93,600.00",
                                          "30 September 2028: €251,318.09"]
    assert any(line.startswith("Banque Solidaire du Nord") and line.endswith("€900,000.00 €1,034,754.29 €0.00 €0.00 1.150 5.36%")
               for line in lines)
    assert lines[-2:] == ["Sign-offs", "Evaluator certification: J. D. (Laboratoire indépendant d'évaluation "
                                       f"des politiques sociales (fictif)), {_when(certified, 'en')}"]
    text = "\n".join(lines)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text) and "Statut" not in text and "payé" not in text


def test_json_keeps_the_stored_record_for_programs(recorded: tuple[int, dt.datetime, dt.datetime]) -> None:
    res = CliRunner().invoke(build_app("fr"), ["settlement", "show", str(recorded[0]), "--json"])
    data = json.loads(res.output)
    assert data["id"] == recorded[0] and data["total_paid"] == "1379672.38" and data["status"] == "current"
    assert data["outputs"]["periods"][1]["caps"][3] == {"limit": "1379672.38", "name": "investor_return",
                                                        "reduction": "552327.62", "room": "386072.38"}
