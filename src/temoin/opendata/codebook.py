"""The codebook and README that travel with a research extract, so that a researcher can use it
without asking: every column's label (French and English), type, unit, categories and how it was
made (bands, months, a fresh identifier), and the README that says what the file is and is not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from temoin.contract.model import Contract
from temoin.opendata.publication import BOOL
from temoin.opendata.research import ResearchExtract

__all__ = ["CODEBOOK_SCHEMA", "codebook", "readme"]

CODEBOOK_SCHEMA: dict[str, Any] = {
    "$schema": "https://frictionlessdata.io/schemas/table-schema.json",
    "name": "dictionnaire-extrait-recherche",
    "title": "Dictionnaire des variables d'un extrait de recherche / Codebook of a research extract",
    "fields": [
        {"name": "variable", "title": "Variable", "type": "string", "constraints": {"required": True, "unique": True}},
        {"name": "libelle_fr", "title": "Libellé", "type": "string", "constraints": {"required": True}},
        {"name": "libelle_en", "title": "Libellé (anglais)", "type": "string", "constraints": {"required": True}},
        {"name": "type", "title": "Type", "type": "string",
         "constraints": {"required": True, "enum": ["string", "integer", "number", "boolean", "yearmonth"]}},
        {"name": "unite", "title": "Unité", "type": "string"},
        {"name": "modalites", "title": "Modalités", "description": "Categories, separated by ' | '.", "type": "string"},
        {"name": "quasi_identifiant", "title": "Quasi-identifiant", "type": "boolean", **BOOL, "constraints": {"required": True}},
        {"name": "note_fr", "title": "Note", "type": "string"},
        {"name": "note_en", "title": "Note (anglais)", "type": "string"},
    ],
    "primaryKey": ["variable"],
    "missingValues": [""],
}

_FIXED: dict[str, tuple[str, str, str, str, str, str]] = {
    # column: (label fr, label en, type, unit, note fr, note en)
    "research_id": ("Identifiant de recherche", "Research identifier", "string", "",
                    "Tiré au hasard pour cet extrait seulement : il ne relie à aucune autre donnée.",
                    "Drawn at random for this extract only: it links to no other data."),
    "synthetic": ("Donnée de démonstration", "Demonstration record", "boolean", "", "", ""),
    "eligible": ("Éligible", "Eligible", "boolean", "", "Selon les critères du contrat.", "By the contract's criteria."),
    "consent": ("Consentement", "Consent", "boolean", "", "Seules les personnes ayant consenti figurent dans l'extrait.",
                "Only people who consented are in the extract."),
    "enrolled": ("Accompagné", "Enrolled", "boolean", "", "", ""),
    "arm": ("Groupe", "Arm", "integer", "", "1 : programme ; 0 : témoin ; vide : non tiré au sort.",
            "1: programme; 0: control; empty: not randomised."),
}


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"


def codebook(extract: ResearchExtract, contract: Contract) -> list[dict[str, Any]]:
    """One row per column of the extract, keyed by :data:`CODEBOOK_SCHEMA`'s field names."""
    frame = extract.frame
    attributes = {a.name: a for a in contract.population.attributes}
    indicators = {i.id: i for i in contract.indicators}
    waves = {w.id: w for w in contract.evaluation.follow_up_waves}
    bands = extract.anonymised.generalised
    rows = []
    for col in map(str, frame.columns):
        row: dict[str, Any] = {"variable": col, "quasi_identifiant": col in extract.quasi_identifiers, "unite": "",
                               "modalites": "", "note_fr": "", "note_en": ""}
        if col in _FIXED:
            fr, en, kind, unit, note_fr, note_en = _FIXED[col]
            row.update(libelle_fr=fr, libelle_en=en, type=kind, unite=unit, note_fr=note_fr, note_en=note_en)
        elif col in extract.coarsened_dates:
            row.update(libelle_fr=f"Date ({col})", libelle_en=f"Date ({col})", type="yearmonth",
                       note_fr="Ramenée au mois (AAAA-MM).", note_en="Coarsened to the month (YYYY-MM).")
        elif col in attributes:
            a = attributes[col]
            kind = {"numeric": "number", "categorical": "string", "boolean": "boolean"}[a.type]
            row.update(libelle_fr=a.label.fr, libelle_en=a.label.en, type=kind, modalites=" | ".join(a.categories))
            if col in bands:
                row.update(type="string", note_fr=f"Regroupé en tranches de {bands[col]} (k-anonymat).",
                           note_en=f"Grouped into bands of {bands[col]} (k-anonymity).")
        elif "__" in col and col.split("__", 1)[0] in indicators:
            ind_id, wave = col.split("__", 1)
            ind = indicators[ind_id]
            months = waves[wave].months_after_enrolment if wave in waves else None
            when_fr = f", {months} mois après l'entrée" if months else f", vague {wave}"
            when_en = f", {months} months after enrolment" if months else f", wave {wave}"
            row.update(libelle_fr=ind.label.fr + when_fr, libelle_en=ind.label.en + when_en, type=_kind(frame[col]),
                       unite=ind.unit, note_fr=ind.definition.fr, note_en=ind.definition.en)
        else:
            row.update(libelle_fr=col, libelle_en=col, type=_kind(frame[col]))
        rows.append(row)
    return rows


def readme(extract: ResearchExtract, contract: Contract, *, data_file: str, codebook_file: str, k: int,
           made: dt.date | None = None) -> str:
    """A bilingual README (Markdown) for the extract: what it holds, how it was protected, how to read it."""
    rep = extract.anonymised
    made = made or dt.date.today()
    qis = ", ".join(extract.quasi_identifiers) or "—"
    bands = ", ".join(f"{c} ({w})" for c, w in rep.generalised.items()) or "—"
    design = contract.evaluation.design.value
    return f"""# Extrait de recherche / Research extract — {contract.id}

{contract.title.fr} / {contract.title.en}

- Fichier de données / data file: `{data_file}` ({len(extract.frame)} lignes / rows, UTF-8, virgule / comma)
- Dictionnaire des variables / codebook: `{codebook_file}`
- Produit le / made on: {made.isoformat()}
- Plan d'évaluation / evaluation design: `{design}`

## Contenu / Contents

Une ligne par personne orientée vers le programme et ayant consenti : attributs de départ, groupe (1 programme,
0 témoin), résultats par vague de suivi (`<indicateur>__<vague>`). Le dictionnaire donne pour chaque colonne son
libellé, son type, son unité et ses modalités.

One row per person referred to the programme who consented: baseline attributes, arm (1 programme, 0 control),
outcomes per follow-up wave (`<indicator>__<wave>`). The codebook gives each column's label, type, unit and
categories.

## Protection des personnes / Protecting people

- Identifiants directs retirés ; identifiant de recherche tiré au hasard pour cet extrait seulement / direct
  identifiers left out; research identifier drawn at random for this extract only.
- Dates ramenées au mois ; lignes mélangées / dates coarsened to the month; rows shuffled.
- {k}-anonymat sur les quasi-identifiants / {k}-anonymity on the quasi-identifiers: {qis}.
  Tranches / bands: {bands}. Enregistrements retirés / records left out: {rep.suppressed_records}.

Ne tentez pas de ré-identifier qui que ce soit ; ne reliez pas cet extrait à d'autres données individuelles.
Do not try to re-identify anyone; do not link this extract to other individual data.

## Lire les résultats / Reading the outcomes

Les résultats officiels du contrat (effets, paiements) viennent du plan d'analyse verrouillé ; cet extrait permet
de les reproduire ou d'explorer d'autres questions, qui ne changent pas les paiements.

The contract's official results (effects, payments) come from its locked analysis plan; this extract lets you
reproduce them or explore other questions, which do not change payments.
"""
