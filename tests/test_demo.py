"""``make demo``: its database set-up recreates the database and touches nothing else, and the whole
walk through the bundled examples runs end to end on the public service functions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from temoin.demo.run import fresh_database

REPO = Path(__file__).resolve().parents[1]


def test_fresh_database_removes_the_database_and_its_journals_only(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    for name in ("demo.db", "demo.db-wal", "demo.db-shm", "notes.txt", "other.db"):
        (tmp_path / name).write_text("x")
    fresh_database(db)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.db"]


def test_fresh_database_makes_a_missing_folder(tmp_path: Path) -> None:
    db = tmp_path / "new" / "folder" / "temoin.db"
    fresh_database(db)
    assert db.parent.is_dir() and not db.exists()


@pytest.mark.slow
def test_the_demo_runs_every_area_end_to_end(tmp_path: Path) -> None:
    """``python -m temoin.demo --no-serve`` as ``make demo`` runs it (without serving): each area's
    part prints, the settlement is approved by every party, the reports are written beside the
    database, and the audit ledger is whole."""
    db = tmp_path / "demo" / "temoin.db"
    res = subprocess.run([sys.executable, "-m", "temoin.demo", "--db", str(db), "--no-serve"], cwd=REPO,
                         capture_output=True, text=True, timeout=600, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200",
                                                                            "PYTHONPATH": str(REPO / "src")})
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    for part in ("garde-fous des contrats fournis", "Randomisation stratifiée", "Diagnostic du dispositif",
                 "Règlement et risque financier", "certifié par l'évaluateur, approuvé par le payeur",
                 "Simulation de risque", "Gouvernance", "Chaîne intègre", "Export INDIGO", "Données ouvertes : 9 fichiers",
                 "Extrait de recherche", "Rapports de transparence", "Inclusion au fil de l'eau",
                 "Calendrier de suivi", "randomisés en 18 vague(s)", "pas encore dû(s) à la vague m24",
                 "Données personnelles — aemo-renforcee", "Retrait enregistré au", "Demande d'accès 1 : réponse par l'export",
                 "les lignes de la personne ont quitté toutes", "selon la règle « demande d'effacement de la personne »",
                 "Journal d'audit : intègre", "aemo-renforcee-registre.pdf",
                 "Effacement dans aemo-renforcee-inclusion-continue : la place de la personne dans sa vague d'inclusion ne "
                 "garde aucun pseudonyme", "1 place(s) de personnes effacées tirée(s) à nouveau ; journal d'audit : intègre"):
        assert part in out, part
    assert "Traceback" not in res.stderr
    # one language, the reader's formats, labels (issue 15): no line in both languages, no raw status
    # code, no Python repr, no amount written the English way
    for leftover in (" / Evaluation", " / Governance", "/ open data", "below_threshold", "{'", ".00 EUR", "Erreur / Error"):
        assert leftover not in out, leftover
    assert "Randomisation stratifiée (Territoire, Niveau de risque) : 391 sur 784 dans le programme" in out
    published = sorted(p.name for p in (db.parent / "donnees-ouvertes").iterdir())
    assert "registre-contrats.csv" in published and "data.gouv.fr.json" in published
    reports = db.parent / "reports"
    for name in ("aemo-renforcee-interne.pdf", "aemo-renforcee-public.pdf"):
        assert (reports / name).read_bytes().startswith(b"%PDF-")
