"""Open data the French way: the registry and each contract's public figures as CSV files with a
Table Schema, a Data Package, and the metadata a data.gouv.fr publisher fills in.

The files follow the conventions of schema.data.gouv.fr: UTF-8 without byte-order mark, a comma
between fields, a dot for decimals, ISO 8601 dates, one header row of snake_case names without
accents, empty cells for missing values, ``true``/``false`` for booleans. Each CSV has a Table
Schema (frictionless ``tableschema``) giving every column's type, French title, bilingual
description and constraints; the tests validate the files with the ``frictionless`` library.

INDIGO dates may be partial (``2018``, ``2018-10``): those columns are strings with a date
pattern, not ``date``. Amounts stay in their own currency (never converted). Counts of people in
a contract's figures went through small-cell suppression first: a hidden count is an empty cell
with ``masque`` set to ``true``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from temoin.contract.model import Contract
from temoin.evaluation.result import ImpactResult
from temoin.opendata.indigo_export import _months
from temoin.opendata.registry import VALIDATION_LADDER, RegistryEntry

__all__ = [
    "FIGURES_SCHEMA", "LICENCE", "REGISTRY_SCHEMA", "Figure", "contract_figures", "datagouv_metadata", "datapackage",
    "registry_rows", "to_csv",
]

PARTIAL_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
LICENCE = {"name": "etalab-2.0", "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
           "title": "Licence Ouverte / Open Licence version 2.0"}
INDIGO_SOURCE = {"title": "INDIGO impact bond data, Government Outcomes Lab (University of Oxford)",
                 "path": "https://golab.bsg.ox.ac.uk/knowledge-bank/indigo/"}
BOOL = {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]}


def _field(name: str, fr: str, en: str, kind: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "title": fr, "description": f"{en}", "type": kind}
    if kind == "boolean":
        out.update(BOOL)
    out.update(extra)
    return out


REGISTRY_SCHEMA: dict[str, Any] = {
    "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
    "name": "registre-contrats-impact-social",
    "title": "Registre des contrats à impact social / Registry of social impact contracts",
    "description": "Une ligne par contrat : les contrats tenus sur Témoin et les projets importés des données INDIGO "
                   "du Government Outcomes Lab. / One row per contract: Témoin's contracts and the projects imported "
                   "from GO Lab's INDIGO data.",
    "version": "1.0.0",
    "fields": [
        _field("identifiant", "Identifiant", "Contract id (Témoin) or INDIGO project id.", "string",
               constraints={"required": True, "unique": True}),
        _field("source", "Source", "temoin: a contract run on Témoin; indigo: a project of GO Lab's INDIGO data.", "string",
               constraints={"required": True, "enum": ["temoin", "indigo"]}),
        _field("nom", "Nom", "Name of the contract.", "string", constraints={"required": True}),
        _field("pays", "Pays", "Country, ISO 3166 two-letter code.", "string", constraints={"pattern": "^[A-Z]{2}$"}),
        _field("secteur", "Secteur", "Policy sector (INDIGO code list).", "string"),
        _field("stade", "Stade", "Stage of development (INDIGO code list).", "string"),
        _field("devise", "Devise", "Currency of the amounts, ISO 4217 code.", "string", constraints={"pattern": "^[A-Z]{3}$"}),
        _field("debut", "Début de l'accompagnement", "Start of service provision: YYYY, YYYY-MM or YYYY-MM-DD (the source's precision).",
               "string", constraints={"pattern": PARTIAL_DATE}),
        _field("fin", "Fin de l'accompagnement", "End of service provision (actual, else anticipated): YYYY, YYYY-MM or YYYY-MM-DD.",
               "string", constraints={"pattern": PARTIAL_DATE}),
        _field("duree_mois", "Durée (mois)", "Service duration in months.", "number", constraints={"minimum": 0}),
        _field("beneficiaires_vises", "Bénéficiaires visés", "Targeted number of beneficiaries.", "integer", constraints={"minimum": 0}),
        _field("paiement_resultats_max", "Paiements aux résultats maximaux", "Maximum outcome payments, in devise.", "number",
               constraints={"minimum": 0}),
        _field("paiement_max_par_beneficiaire", "Paiement maximal par bénéficiaire visé",
               "Maximum outcome payments divided by the targeted beneficiaries, in devise.", "number", constraints={"minimum": 0}),
        _field("investissement", "Investissement", "Total investment committed, in devise.", "number", constraints={"minimum": 0}),
        _field("prix_max_par_resultat", "Prix le plus élevé par résultat", "Highest price per outcome, in devise.", "number",
               constraints={"minimum": 0}),
        _field("rendement_max_pct", "Rendement maximal des investisseurs (%)", "Maximum investor return, in per cent.", "number"),
        _field("methode_validation", "Méthode de validation des résultats",
               "Strongest outcome validation method (INDIGO's ladder).", "string", constraints={"enum": list(VALIDATION_LADDER)}),
        _field("contrefactuel_reel", "Contrefactuel réel",
               "A concurrent comparison group (randomised or quasi-experimental); empty when the method is unknown.", "boolean"),
        _field("plafond_economies_realisees", "Paiements plafonnés aux économies réalisées",
               "Outcome payments capped at the public savings actually realised; empty when not recorded (INDIGO).", "boolean"),
        _field("resultats_publies", "Résultats publiés", "Results are published (an evaluation, or INDIGO results).", "boolean"),
        _field("fictif", "Contrat fictif", "A synthetic, illustrative contract (not a signed one).", "boolean",
               constraints={"required": True}),
        _field("parties", "Parties", "Parties named publicly, with their roles, separated by ' ; '.", "string"),
    ],
    "primaryKey": ["identifiant"],
    "missingValues": [""],
}

FIGURES_SCHEMA: dict[str, Any] = {
    "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
    "name": "chiffres-publics-contrat",
    "title": "Chiffres publics d'un contrat à impact social / Public figures of a social impact contract",
    "description": "Une ligne par chiffre publié : conditions du contrat, cohorte (après secret statistique), impact "
                   "estimé, règlement. / One row per published figure: terms, cohort (after small-cell suppression), "
                   "estimated impact, settlement.",
    "version": "1.0.0",
    "fields": [
        _field("contrat", "Contrat", "Contract id.", "string", constraints={"required": True}),
        _field("version", "Version du contrat", "Contract version the figures are for.", "integer", constraints={"required": True, "minimum": 1}),
        _field("rubrique", "Rubrique", "conditions (terms), cohorte (cohort), impact, reglement (settlement).", "string",
               constraints={"required": True, "enum": ["conditions", "cohorte", "impact", "reglement"]}),
        _field("indicateur", "Indicateur", "Code of the figure, e.g. orientes, traites_suivis, amelioration.", "string",
               constraints={"required": True}),
        _field("libelle_fr", "Libellé", "Label in French.", "string", constraints={"required": True}),
        _field("libelle_en", "Libellé (anglais)", "Label in English.", "string", constraints={"required": True}),
        _field("objet", "Objet", "What the figure is about: an outcome indicator, a follow-up wave, a payment period.", "string"),
        _field("periode", "Période", "Date or period the figure is for (ISO 8601), when it has one.", "string",
               constraints={"pattern": PARTIAL_DATE}),
        _field("valeur", "Valeur", "The figure; empty when it is hidden.", "number"),
        _field("unite", "Unité", "Unit: personnes (people), a currency code, %, mois (months), or the indicator's unit.", "string"),
        _field("masque", "Masqué", "Hidden by small-cell suppression (a count below the threshold, or one that would reveal it).",
               "boolean", constraints={"required": True}),
    ],
    "missingValues": [""],
}


class Figure(dict[str, Any]):
    """One row of a contract's public figures (a dict keyed by :data:`FIGURES_SCHEMA`'s field names)."""

    def __init__(self, contract: str, version: int, section: str, code: str, fr: str, en: str, value: Any, unit: str, *,
                 about: str = "", period: str = "", hidden: bool = False) -> None:
        super().__init__(contrat=contract, version=version, rubrique=section, indicateur=code, libelle_fr=fr, libelle_en=en,
                         objet=about, periode=period, valeur=None if hidden else value, unite=unit, masque=hidden)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(value, ".10g") if value == value else ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def to_csv(rows: Iterable[dict[str, Any]], schema: dict[str, Any]) -> str:
    """Rows written as CSV in the schema's column order (UTF-8 text; the caller encodes it)."""
    names = [f["name"] for f in schema["fields"]]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(n)) for n in names])
    return out.getvalue()


def registry_rows(entries: Sequence[RegistryEntry]) -> list[dict[str, Any]]:
    """One CSV row per registry entry, keyed by :data:`REGISTRY_SCHEMA`'s field names."""
    rows = []
    for e in entries:
        rows.append({
            "identifiant": e.id, "source": e.source, "nom": e.name, "pays": e.country, "secteur": e.sector, "stade": e.stage,
            "devise": e.currency, "debut": e.start, "fin": e.end, "duree_mois": e.duration_months,
            "beneficiaires_vises": e.targeted_beneficiaries, "paiement_resultats_max": e.max_outcome_payment,
            "paiement_max_par_beneficiaire": e.max_payment_per_beneficiary, "investissement": e.investment,
            "prix_max_par_resultat": max(e.prices_per_outcome) if e.prices_per_outcome else None,
            "rendement_max_pct": e.max_return_pct, "methode_validation": e.validation_method,
            "contrefactuel_reel": e.has_real_counterfactual, "plafond_economies_realisees": e.capped_at_savings,
            "resultats_publies": e.has_published_results, "fictif": e.synthetic, "parties": " ; ".join(e.parties) or None,
        })
    return rows


def _coverage(entries: Sequence[RegistryEntry]) -> tuple[str | None, str | None]:
    starts = [e.start for e in entries if e.start]
    ends = [e.end for e in entries if e.end]
    start = min(starts) if starts else None
    end = max(ends) if ends else None
    if start is not None:
        start = (start + "-01-01")[:10] if len(start) == 4 else (start + "-01")[:10]
    if end is not None and len(end) < 10:
        year, month = int(end[:4]), int(end[5:7]) if len(end) >= 7 else 12
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        end = (nxt - dt.timedelta(days=1)).isoformat()
    return start, end


def datagouv_metadata(entries: Sequence[RegistryEntry], *, producer: str, resources: Sequence[dict[str, str]]) -> dict[str, Any]:
    """What a data.gouv.fr publisher fills in for this data set, in the platform API's field names
    (title, description, license, frequency, temporal_coverage, spatial, tags) plus the producer."""
    start, end = _coverage(entries)
    countries = sorted({e.country.lower() for e in entries if e.country})
    indigo = sum(1 for e in entries if e.source == "indigo")
    description = (
        "Registre des contrats à impact social (CIS) : pour chaque contrat, les conditions publiques (parties, prix par "
        "résultat, plafonds de paiement, rendement maximal des investisseurs, durée), la méthode de validation des "
        "résultats (avec ou sans contrefactuel réel), le plafonnement aux économies réalisées et la publication des "
        "résultats. Chaque contrat tenu sur Témoin a aussi son fichier de chiffres publics (cohorte après secret "
        "statistique, impact estimé, règlement). Aucune donnée personnelle."
    )
    if indigo:
        description += (f" {indigo} projet(s) proviennent des données INDIGO du Government Outcomes Lab (Université "
                        "d'Oxford), réutilisées avec attribution ; leur colonne « source » vaut « indigo ».")
    return {
        "title": "Registre et chiffres publics des contrats à impact social",
        "description": description,
        "license": "lov2",
        "license_title": LICENCE["title"],
        "producer": producer,
        "frequency": "irreg",
        "frequency_note": "Mis à jour à chaque contrat enregistré, évaluation ou règlement / updated at each contract, evaluation or settlement.",
        "temporal_coverage": {"start": start, "end": end},
        "spatial": {"zones": [f"country:{c}" for c in countries], "granularity": "country"},
        "tags": ["contrat-a-impact-social", "social-impact-bond", "evaluation", "economie-sociale-et-solidaire", "indigo"],
        "resources": list(resources),
        "sources": [INDIGO_SOURCE] if indigo else [],
    }


def datapackage(resources: Sequence[dict[str, Any]], *, producer: str, entries: Sequence[RegistryEntry]) -> dict[str, Any]:
    """A frictionless Data Package listing the CSV files with their schemas."""
    start, end = _coverage(entries)
    return {
        "profile": "tabular-data-package",
        "name": "contrats-impact-social-temoin",
        "title": "Registre et chiffres publics des contrats à impact social",
        "licenses": [LICENCE],
        "contributors": [{"title": producer, "role": "publisher"}],
        "sources": [INDIGO_SOURCE] if any(e.source == "indigo" for e in entries) else [],
        "temporal": {"start": start, "end": end},
        "resources": list(resources),
    }


_STAGES = (("referred", "orientes", "Personnes orientées", "People referred"),
           ("eligible", "eligibles", "Personnes éligibles", "People eligible"),
           ("consented", "consentantes", "Personnes ayant consenti", "People who consented"),
           ("enrolled", "inscrites", "Personnes accompagnées", "People enrolled"))
_ARMS = (("treated", "programme", "groupe programme", "programme group"), ("control", "controle", "groupe témoin", "control group"))


def _cohort(add: Any, flow: dict[str, Any]) -> None:
    for key, code, fr, en in _STAGES:
        if key in flow:
            add("cohorte", code, fr, en, flow[key], "personnes", hidden=flow[key] is None)
    arms = flow.get("randomised")
    if isinstance(arms, dict):
        for arm, code, fr, en in _ARMS:
            add("cohorte", f"randomises_{code}", f"Personnes tirées au sort, {fr}", f"People randomised, {en}", arms[arm],
                "personnes", hidden=arms[arm] is None)
    for w in flow.get("waves") or []:
        for arm, code, fr, en in _ARMS:
            if arm in w:
                add("cohorte", f"suivis_{code}", f"Personnes suivies, {fr}", f"People followed, {en}", w[arm], "personnes",
                    about=str(w.get("wave", "")), hidden=w[arm] is None)


def _impact(add: Any, contract: Contract, results: Sequence[ImpactResult], threshold: int) -> None:
    for r in results:
        ind = contract.indicator(r.indicator)
        unit = ind.unit if ind is not None else ""
        about = f"{r.indicator} / {r.wave}"
        add("impact", "amelioration", "Amélioration estimée (sens favorable positif)", "Estimated improvement (positive is better)",
            r.improvement, unit, about=about)
        add("impact", "borne_basse", "Borne basse de l'intervalle de confiance de l'amélioration",
            "Lower confidence bound of the improvement", r.improvement_lower, unit, about=about)
        add("impact", "p_valeur", "Valeur p", "p-value", r.effect.p_value, "", about=about)
        n = r.n_treated_followed
        add("impact", "traites_suivis", "Personnes du groupe programme suivies", "Programme group members followed", n,
            "personnes", about=about, hidden=0 < n < threshold)


def _settlement(add: Any, outputs: dict[str, Any], currency: str) -> None:
    for p in outputs.get("periods", []):
        about, when = str(p.get("period", "")), str(p.get("payment_date", ""))
        add("reglement", "economies_realisees", "Économies publiques réalisées (cumul)", "Realised public savings (cumulative)",
            Decimal(p["realised_savings"]), currency, about=about, period=when)
        add("reglement", "montant_du", "Montant dû pour la période", "Amount due for the period", Decimal(p["amount_due"]),
            currency, about=about, period=when)
        add("reglement", "paye_cumule", "Paiements cumulés", "Cumulative payments", Decimal(p["cumulative_paid"]), currency,
            about=about, period=when)
    if "total_paid" in outputs:
        add("reglement", "total_paye", "Total payé", "Total paid", Decimal(str(outputs["total_paid"])), currency)


def contract_figures(contract: Contract, version: int, *, flow: dict[str, Any] | None, results: Sequence[ImpactResult],
                     settlement: dict[str, Any] | None, threshold: int) -> list[Figure]:
    """A contract's public figures: its terms, its cohort flow (``flow`` already suppressed: a hidden
    count is None), its latest impact estimates, and its latest settlement's amounts (``settlement``:
    the recorded outputs)."""
    rows: list[Figure] = []

    def add(section: str, code: str, fr: str, en: str, value: Any, unit: str, *, about: str = "", period: str = "",
            hidden: bool = False) -> None:
        rows.append(Figure(contract.id, version, section, code, fr, en, value, unit, about=about, period=period, hidden=hidden))

    cur = contract.currency
    add("conditions", "beneficiaires_prevus", "Bénéficiaires prévus", "Planned beneficiaries", contract.population.expected_size,
        "personnes")
    add("conditions", "duree_mois", "Durée de l'accompagnement", "Service duration", _months(contract.start_date, contract.end_date),
        "mois", period=contract.start_date.isoformat())
    caps = contract.caps
    if caps.total_outcome_payments is not None:
        add("conditions", "plafond_paiements", "Plafond des paiements aux résultats", "Cap on outcome payments",
            caps.total_outcome_payments, cur)
    if caps.per_participant is not None:
        add("conditions", "plafond_par_participant", "Plafond par participant", "Cap per participant", caps.per_participant, cur)
    if caps.investor_return is not None:
        pct = caps.investor_return.value * 100 if caps.investor_return.kind == "irr" else (caps.investor_return.value - 1) * 100
        add("conditions", "rendement_max_pct", "Rendement maximal des investisseurs", "Maximum investor return", round(pct, 6), "%")
    if contract.investments:
        add("conditions", "investissement", "Investissement engagé", "Investment committed", contract.invested.amount, cur)
    for price in contract.payments.indicators:
        add("conditions", "prix_par_unite", "Prix par unité d'impact vérifié et par participant traité",
            "Price per unit of verified impact per treated participant", price.price_per_unit, cur, about=price.indicator)
    for item in contract.payments.rate_card:
        add("conditions", "prix_grille", f"Prix de la grille : {item.label.fr}", f"Rate card price: {item.label.en}", item.price, cur,
            about=item.outcome)
    if flow:
        _cohort(add, flow)
    _impact(add, contract, results, threshold)
    if settlement:
        _settlement(add, settlement, cur)
    return rows
