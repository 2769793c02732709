"""Small steps the journey's parts share: sign in and out through the real form, and a screenshot
per page per role, numbered in the order taken (``<nn>-<role>-<page>.png``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def sign_in(page: Any, base: str, account: tuple[str, str]) -> None:
    """Sign in as ``account`` (username, password) through the login form; lands on "Mes contrats"."""
    page.goto(f"{base}/login")
    page.get_by_label("Identifiant").fill(account[0])
    page.get_by_label("Mot de passe").fill(account[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/contracts")


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_selector("text=Se connecter")


def shot(page: Any, shots: Path, role: str, name: str) -> Path:
    """A full-page screenshot, numbered after those already in ``shots`` (so parts chain)."""
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{len(list(shots.glob('*.png'))) + 1:02d}-{role}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def todo_texts(page: Any, base: str) -> list[str]:
    """The home page's to-do list of the person signed in, one text per item."""
    page.goto(f"{base}/")
    page.locator("#todo").wait_for()
    return [" ".join(t.split()) for t in page.locator("#todo .todo-item").all_inner_texts()]
