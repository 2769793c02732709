"""The record of processing and the impact assessment: in French (and English), HTML and PDF, listing
the security measures the settings really enforce (a setting changed changes the register)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from temoin.examples import example_path
from temoin.reports.rgpd import register_html, register_pdf
from temoin.services.contracts import import_contract
from temoin.services.registre import processing_record
from temoin.settings import Settings

C = "aemo-renforcee"
SECRET = "f" * 64


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _measures(html: str) -> str:
    return _text(html.split('id="measures"')[1].split("</ul>")[0])


def test_the_register_is_in_french_and_lists_what_the_settings_enforce(sqlite_engine: Engine) -> None:
    import_contract(sqlite_engine, example_path(C), actor="test")
    default = _text(register_html(processing_record(sqlite_engine, C, settings=Settings()), "fr"))
    for heading in ("Registre des activités de traitement (RGPD art. 30)", "Finalités", "Base légale", "Destinataires",
                    "Durées de conservation", "Mesures de sécurité (telles que configurées)",
                    "Analyse d'impact relative à la protection des données (AIPD), selon la méthode de la CNIL", "Contexte",
                    "Nécessité et proportionnalité", "Risques et mesures", "Accès illégitime aux données",
                    "Modification non désirée des données", "Disparition des données",
                    "Avis du délégué à la protection des données"):
        assert heading in default, heading
    assert "mission d'intérêt public" in default and "opérateur" in default
    assert "Secret de pseudonymisation NON défini" in default and "au plus 20 Mio" in default
    assert "Aucune adresse publique HTTPS configurée" in default and "Les sessions du navigateur durent 12 heures" in default

    strict = Settings(pseudonym_secret=SECRET, secret_key="e" * 64, max_upload_mb=7, max_upload_rows=5000,
                      public_url="https://temoin.example.fr", api_token_days=30,
                      database_url="postgresql+psycopg://u@db.example.fr/temoin?sslmode=verify-full",
                      smtp_host="smtp.example.fr", smtp_from="temoin@example.fr", smtp_starttls=False)
    changed = _measures(register_html(processing_record(sqlite_engine, C, settings=strict), "fr"))
    assert "Secret de pseudonymisation défini pour cette installation." in changed and "NON défini" not in changed
    assert "au plus 7 Mio" in changed and "5 000 lignes" in changed.replace("\u202f", " ").replace("\xa0", " ")
    assert "Adresse publique en HTTPS (https://temoin.example.fr)" in changed
    assert "jetons d'API 30 jours" in changed and "sslmode=verify-full" in changed
    assert "serveur SMTP smtp.example.fr SANS STARTTLS" in changed
    assert changed != _measures(register_html(processing_record(sqlite_engine, C, settings=Settings()), "fr"))

    english = _text(register_html(processing_record(sqlite_engine, C, settings=strict), "en"))
    assert "Record of processing (GDPR art. 30)" in english and "Pseudonym secret set for this installation." in english


def test_the_register_prints_to_pdf(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contract(sqlite_engine, example_path(C), actor="test")
    pdf = register_pdf(processing_record(sqlite_engine, C, settings=Settings()), "fr")
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    path = tmp_path / "r.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Registre des activités de traitement" in text and "CNIL" in text


def test_the_command_writes_the_register(cli_env: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from temoin.cli import app

    import_contract(cli_env, example_path(C), actor="test")
    monkeypatch.setenv("TEMOIN_MAX_UPLOAD_MB", "9")
    out = tmp_path / "registre.html"
    res = CliRunner().invoke(app, ["--lang", "fr", "rgpd", "registre", C, "--output", str(out)])
    assert res.exit_code == 0, res.output
    assert "au plus 9 Mio" in _text(out.read_text(encoding="utf-8"))
