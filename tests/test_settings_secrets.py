"""Issue 14, findings 8 and 12: two secrets, never one for the other; production refuses default,
short or non-random secrets; refused settings stop every entry point with words, not a traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from temoin.cli import app
from temoin.settings import (
    DEV_PSEUDONYM_SECRET,
    Settings,
    SettingsError,
    load_settings,
    looks_random,
)

REPO = Path(__file__).resolve().parents[1]
GOOD = secrets.token_urlsafe(32)
OTHER = secrets.token_hex(32)


def test_the_pseudonym_secret_is_its_own_setting() -> None:
    a = Settings(secret_key="one-session-secret")
    b = Settings(secret_key="another-session-secret")
    assert a.pseudonym_master == b.pseudonym_master == DEV_PSEUDONYM_SECRET  # rotating the session secret changes nothing
    assert Settings(pseudonym_secret="mine").pseudonym_master == "mine"
    with pytest.raises(ValueError, match="must not be empty"):
        Settings(pseudonym_secret="")


@pytest.mark.parametrize(("secret_key", "pseudonym", "says"), [
    ("dev-secret-change-me", OTHER, "TEMOIN_SECRET_KEY must be set"),
    (GOOD, "dev-secret-change-me", "TEMOIN_PSEUDONYM_SECRET must be set"),
    ("x", OTHER, "TEMOIN_SECRET_KEY must be at least 32 random bytes"),
    ("a" * 64, OTHER, "TEMOIN_SECRET_KEY must be at least 32 random bytes"),  # base64 of a repeated byte pattern
    ("correct horse battery staple and more words", OTHER, "at least 32 random bytes"),  # a pass phrase
    (GOOD, secrets.token_hex(16), "TEMOIN_PSEUDONYM_SECRET must be at least 32 random bytes"),  # 16 bytes only
    (GOOD, GOOD, "must differ"),
])
def test_production_refuses_weak_or_shared_secrets(monkeypatch: pytest.MonkeyPatch, secret_key: str, pseudonym: str,
                                                   says: str) -> None:
    monkeypatch.setenv("TEMOIN_ENVIRONMENT", "production")
    monkeypatch.setenv("TEMOIN_SECRET_KEY", secret_key)
    monkeypatch.setenv("TEMOIN_PSEUDONYM_SECRET", pseudonym)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert says in info.value.render()
    assert "secrets.token_urlsafe(32)" in (info.value.hint() or "")


def test_production_accepts_two_random_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMOIN_ENVIRONMENT", "production")
    monkeypatch.setenv("TEMOIN_SECRET_KEY", GOOD)
    monkeypatch.setenv("TEMOIN_PSEUDONYM_SECRET", OTHER)
    s = load_settings()
    assert s.pseudonym_master == OTHER and s.secret_key == GOOD
    assert looks_random(secrets.token_urlsafe(48)) and looks_random(secrets.token_hex(40))
    assert sum(looks_random(secrets.token_urlsafe(32)) for _ in range(2000)) == 2000


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMOIN_")}
    return env | {"PYTHONPATH": str(REPO / "src")} | extra


def test_the_command_line_says_what_is_wrong_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("TEMOIN_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("TEMOIN_ENVIRONMENT", "production")
    res = CliRunner().invoke(app, ["contract", "list"])
    assert res.exit_code == 1
    assert "Réglages refusés" in res.output and "TEMOIN_SECRET_KEY" in res.output and "Traceback" not in res.output


def test_a_server_started_with_refused_settings_stops_with_words(tmp_path: Path) -> None:
    env = _env(TEMOIN_ENVIRONMENT="production", TEMOIN_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    factory = subprocess.run([sys.executable, "-c", "from temoin.web import create_app; create_app()"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert factory.returncode == 2
    assert "TEMOIN_SECRET_KEY" in factory.stderr and "Traceback" not in factory.stderr
    serve = subprocess.run([sys.executable, "-m", "temoin.cli", "serve", "--port", "1"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert serve.returncode == 1 and "TEMOIN_SECRET_KEY" in serve.stderr and "Traceback" not in serve.stderr + serve.stdout


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    assert Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1").proxy_networks()[1].num_addresses == 1
    with pytest.raises(ValueError):
        Settings(trusted_proxies="my-proxy.local")
