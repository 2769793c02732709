"""Open-data services: INDIGO export and import, the public registry, the observatory, research extracts.

Each function that changes state owns one transaction: the change and its audit-ledger entry are
saved together or not at all. An INDIGO import is read and cleaned completely before the
transaction opens, so a refused file leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine

from temoin.errors import InvalidInputError, NotFoundError, TemoinError
from temoin.opendata.indigo_export import export_project
from temoin.opendata.indigo_import import ImportResult, read_indigo
from temoin.opendata.observatory import Comparison, compare
from temoin.opendata.registry import RegistryEntry, entry_from_contract, entry_from_indigo
from temoin.opendata.research import ResearchExtract, build_extract
from temoin.settings import get_settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.opendata import OpenDataRepository

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "ExtractSummary",
    "IndigoImportSummary",
    "demo",
    "export_indigo",
    "import_indigo",
    "observe",
    "registry",
    "research_extract",
]


def export_indigo(engine: Engine, contract_id: str, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """The latest version of a stored contract as an INDIGO project (public fields only)."""
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
    return export_project(stored.contract, as_of=as_of)


@dataclass(frozen=True)
class IndigoImportSummary:
    import_id: int
    result: ImportResult
    added: tuple[str, ...]
    replaced: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "source": self.result.source,
            "format": self.result.format,
            "added": list(self.added),
            "replaced": list(self.replaced),
            "warnings": [w.to_dict() for w in self.result.warnings],
        }


def import_indigo(engine: Engine, path: str | Path, *, actor: str = "cli") -> IndigoImportSummary:
    """Import every project of a JSON file or CSV folder, with its warnings, in one transaction."""
    result = read_indigo(path)  # raises before anything is written
    with session_scope(engine) as s:
        import_id, added, replaced = OpenDataRepository(s).save_import(result, actor=actor)
        ledger.append(s, actor=actor, event="opendata.indigo_imported", payload={
            "import_id": import_id,
            "source": result.source,
            "format": result.format,
            "projects": [p.id for p in result.projects],
            "added": added,
            "replaced": replaced,
            "warnings": len(result.warnings),
            "warnings_by_code": dict(sorted(Counter(w.code for w in result.warnings).items())),
        })
    return IndigoImportSummary(import_id, result, tuple(added), tuple(replaced))


def registry(engine: Engine, *, as_of: dt.date | None = None) -> list[RegistryEntry]:
    """The public registry: Témoin contracts (latest versions) then imported INDIGO projects."""
    with session_scope(engine) as s:
        contracts = ContractRepository(s).list_latest()
        projects = OpenDataRepository(s).projects(public_only=True)
    return [entry_from_contract(c.contract, as_of=as_of) for c in contracts] + [
        entry_from_indigo(p.id, p.data) for p in projects
    ]


def observe(engine: Engine, contract_id: str) -> Comparison:
    """Compare a stored contract's terms with the rest of the registry."""
    entries = registry(engine)
    me = next((e for e in entries if e.source == "temoin" and e.id == contract_id), None)
    if me is None:
        raise NotFoundError("contract.not_found", f"Contrat inconnu : « {contract_id} ».", f"Unknown contract: '{contract_id}'.",
                            path="contract_id", hint_fr="Importez-le avec `temoin contract import FICHIER`.",
                            hint_en="Import it with `temoin contract import FILE`.")
    return compare(me, entries)


@dataclass(frozen=True)
class ExtractSummary:
    contract_id: str
    contract_version: int
    output: Path
    sha256: str
    extract: ResearchExtract

    def to_dict(self) -> dict[str, Any]:
        return {"contract_id": self.contract_id, "contract_version": self.contract_version, "output": str(self.output),
                "sha256": self.sha256, **self.extract.report()}


def _participants(session: Any, contract_id: str) -> pd.DataFrame:
    try:
        from temoin.services.evaluations import participants_frame  # the evaluation area's reader
    except ImportError:
        raise NotFoundError(
            "extract.no_participants", "Aucune donnée de participants n'est disponible dans cette installation.",
            "No participant data is available in this installation.", path="contract_id",
            hint_fr="Enregistrez d'abord les participants du contrat.", hint_en="Record the contract's participants first.",
        ) from None
    frame: pd.DataFrame = participants_frame(session, contract_id)
    return frame


def research_extract(
    engine: Engine,
    contract_id: str,
    output: str | Path,
    *,
    actor: str = "cli",
    k: int | None = None,
    policy: str = "generalise",
    frame: pd.DataFrame | None = None,
) -> ExtractSummary:
    """Write a k-anonymous pseudonymised extract (CSV) and log it in the ledger, or refuse and write nothing.

    ``frame`` replaces the participants read from the database (used by callers that already hold them).
    """
    out = Path(output)
    if out.suffix.lower() != ".csv":
        raise InvalidInputError("extract.format", f"L'extrait s'écrit en CSV : « {out.name} » doit finir par .csv.",
                                f"Extracts are written as CSV: '{out.name}' must end in .csv.", path="output")
    if not out.parent.exists():
        raise InvalidInputError("extract.folder", f"Dossier introuvable : {out.parent}.", f"No such folder: {out.parent}.", path="output")
    k = k or get_settings().k_anonymity
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
        participants = frame if frame is not None else _participants(s, contract_id)
        extract = build_extract(participants, stored.contract, k=k, policy=policy)  # may refuse: nothing written
        fd, tmp_name = tempfile.mkstemp(prefix=".extract-", suffix=".csv", dir=out.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            extract.frame.to_csv(tmp, index=False)
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            ledger.append(s, actor=actor, event="opendata.research_extract", contract_id=contract_id, payload={
                "contract_version": stored.version, "file": out.name, "sha256": digest, **extract.report()})
            s.flush()
            tmp.replace(out)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return ExtractSummary(contract_id, stored.version, out, digest, extract)


def demo(engine: Engine, console: Console) -> None:
    """What a new user wants to see: the child-protection contract in INDIGO, against the registry, and published safely."""
    from importlib import resources

    from rich.markup import escape
    from rich.rule import Rule

    from temoin.opendata.schemas import validate_project
    from temoin.opendata.suppression import suppress_table

    contract_id = "aemo-renforcee"
    console.print(Rule("Données ouvertes / Open data — aemo-renforcee"))
    project = export_indigo(engine, contract_id)
    errors = validate_project(project["data"])
    console.print(f"Export INDIGO {project['id']} : "
                  + ("conforme au schéma projet INDIGO 4.1 / valid against the INDIGO 4.1 project schema" if not errors
                     else f"{len(errors)} erreur(s) de schéma / schema error(s)"))
    with resources.as_file(resources.files("temoin.opendata").joinpath("samples", "indigo-sample.json")) as sample:
        summary = import_indigo(engine, sample, actor="demo")
    warnings = summary.result.warnings
    console.print(f"Import INDIGO (échantillon) : {len(summary.result.projects)} projets, {len(warnings)} défauts signalés, "
                  "aucun bloquant / sample import: every defect reported, none fatal")
    for w in warnings[:3]:
        console.print(f"  [yellow]⚠[/] {escape(w.render('fr'))}", soft_wrap=True)
    cmp = observe(engine, contract_id)
    console.print(f"Observatoire : {cmp.registry_size} autres contrats au registre, dont {cmp.with_real_counterfactual} avec un "
                  f"vrai contrefactuel (essai randomisé ou quasi-expérimental) ; celui-ci : "
                  f"{'oui' if cmp.contract_has_real_counterfactual else 'non'}.")
    def fr(x: float) -> str:
        return f"{x:,.2f}".replace(",", "\u202f").replace(".", ",")

    for m in cmp.metrics:
        if m.value is not None and m.n and m.median is not None:
            unit = {"months": "mois"}.get(m.unit, m.unit)
            console.print(f"  {m.label_fr} : {fr(m.value)} {unit} (médiane du registre {fr(m.median)}, n={m.n})")
    with session_scope(engine) as s:
        try:
            people = _participants(s, contract_id)
        except NotFoundError:
            people = pd.DataFrame()
    if not len(people) or "arm" not in people.columns:
        return
    threshold = get_settings().small_cell_threshold
    enrolled = people[people["arm"].notna()]
    if "siblings" in enrolled.columns and "territory" in enrolled.columns:
        counts = pd.crosstab(enrolled["siblings"], enrolled["territory"])
        table = suppress_table(counts.to_numpy(), threshold=threshold)
        console.print(f"Publication : inscrits par nombre de frères et sœurs (lignes {list(counts.index)}) × territoire "
                      f"({', '.join(map(str, counts.columns))}), seuil {threshold} : {table.n_primary} case(s) sous le seuil "
                      f"masquée(s), {table.n_secondary} de plus pour qu'aucune ne se recalcule depuis les totaux "
                      f"(· = masqué) :")
        for row in table.published():
            console.print("   " + " ".join(f"{'·' if v is None else v:>5}" for v in row))
    url = engine.url
    folder = Path(url.database).parent if url.get_backend_name() == "sqlite" and url.database else Path(tempfile.gettempdir())
    try:
        res = research_extract(engine, contract_id, folder / f"{contract_id}-extrait-recherche.csv", actor="demo")
    except TemoinError as exc:
        console.print(f"Extrait de recherche refusé / research extract refused: {escape(exc.render('fr'))}")
        return
    rep = res.extract.anonymised
    console.print(f"Extrait de recherche : {res.output} — {len(res.extract.frame)} lignes, {rep.after.k}-anonyme sur "
                  f"{', '.join(res.extract.quasi_identifiers)} (plus petite classe {rep.after.smallest_class}) ; "
                  f"tranches : {rep.generalised or 'aucune'} ; {rep.suppressed_records} retiré(s) ; consigné au journal "
                  f"(sha256 {res.sha256[:12]}…).")
