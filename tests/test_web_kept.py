"""Figures kept per data state and gathered anew in the background after a change
(:mod:`temoin.web.kept`, issue 16's speed): gathered once per state, even by readers asking at once;
after a change the reader who does not wait reads the previous figures, dated, and the page says so;
once gathered, the next view shows the new figures (never an older figure as current), on the
overview, evaluation and settlement pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from temoin.services import evaluations as ev
from temoin.services.governance import assign_role
from temoin.settings import Settings
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository
from temoin.web import views
from temoin.web.kept import Kept, settle
from temoin.web.routes import extra
from test_web_support import Site, make_site

C = "aemo-renforcee"


def _slow(values: list[int], delay: float = 0.3) -> object:
    def gather() -> int:
        time.sleep(delay)
        values.append(len(values) + 1)
        return values[-1]
    return gather


def test_gathered_once_per_state_and_the_previous_value_is_shown_dated_meanwhile() -> None:
    engine = create_engine("sqlite://")
    kept: Kept[int] = Kept()
    made: list[int] = []
    with ThreadPoolExecutor(4) as pool:  # four readers at once: one gathering
        got = list(pool.map(lambda _: kept.get(engine, "k", 1, _slow(made), wait=0.0), range(4)))  # type: ignore[arg-type]
    assert got == [(1, None)] * 4 and made == [1]
    assert kept.get(engine, "k", 1, _slow(made)) == (1, None) and made == [1]  # type: ignore[arg-type]
    value, since = kept.get(engine, "k", 2, _slow(made), wait=0.0)  # type: ignore[arg-type]  # a change: not waited for
    assert value == 1 and since is not None
    settle(kept, engine=engine)
    assert kept.get(engine, "k", 2, _slow(made), wait=0.0) == (2, None) and made == [1, 2]  # type: ignore[arg-type]
    assert kept.get(engine, "k", 3, _slow(made), wait=None) == (3, None)  # type: ignore[arg-type]  # waited for
    assert kept.get(engine, "other", 3, _slow(made), wait=0.0) == (4, None)  # type: ignore[arg-type]  # nothing to show


def test_a_failure_is_said_to_the_reader_and_tried_again() -> None:
    engine = create_engine("sqlite://")
    kept: Kept[int] = Kept()
    calls = threading.Semaphore(0)

    def broken() -> int:
        calls.release()
        raise ValueError("no")
    with pytest.raises(ValueError):
        kept.get(engine, "k", 1, broken)
    with pytest.raises(ValueError):
        kept.get(engine, "k", 1, broken)
    assert calls.acquire(blocking=False) and calls.acquire(blocking=False)  # gathered again, not kept


def _said(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).replace("\xa0", " ").replace("\u202f", " ").split())


@pytest.fixture
def site(engine: Engine) -> Site:
    return make_site(engine, figures_wait_seconds=0)


@pytest.mark.parametrize("page", ["", "/evaluation", "/settlement"])
def test_after_a_change_the_page_says_it_is_updating_then_shows_the_new_figures(site: Site, page: str) -> None:
    c = site.signed_in("payer")
    first = c.get(f"/contracts/{C}{page}")
    assert first.status_code == 200 and 'id="figures-updating"' not in first.text  # nothing older: waited for
    assert 'id="figures-updating"' not in c.get(f"/contracts/{C}{page}").text
    assign_role(site.engine, C, "new-observer", "union-assos", "civil_society_observer", actor="test")  # a ledger entry
    during = c.get(f"/contracts/{C}{page}")
    settle(views._FIGURES, extra._PAGE_REPORTS, engine=site.engine)
    after = c.get(f"/contracts/{C}{page}")
    assert after.status_code == 200 and 'id="figures-updating"' not in after.text
    # not waited for (figures_wait_seconds=0): the previous figures, said to be updating, dated
    said = _said(during.text)
    assert "Ces chiffres sont en cours de mise à jour après une modification du contrat ou de ses données" in said
    assert f'hx-get="/contracts/{C}{page}"' in during.text  # the page reloads its content by itself


def test_a_change_to_the_figures_shows_on_the_next_view_once_gathered(site: Site, tmp_path: Path) -> None:
    c = site.signed_in("payer")
    assert "Orientés, puis consentants" not in _said(c.get(f"/contracts/{C}").text)  # no cohort yet
    ev.generate_synthetic(None, C, tmp_path / "p.csv", settings=Settings())
    ev.import_participants(site.engine, C, tmp_path / "p.csv", actor="test", settings=Settings())
    with session_scope(site.engine) as s:
        referred = sum(n for *_, n in CohortRepository(s).stage_counts(C))
    c.get(f"/contracts/{C}")  # the first view after the change asks for the new figures
    settle(views._FIGURES, extra._PAGE_REPORTS, engine=site.engine)
    page = c.get(f"/contracts/{C}")
    said = _said(page.text)
    assert 'id="figures-updating"' not in page.text
    assert "Orientés, puis consentants " + f"{referred:,}".replace(",", " ") in said


def test_the_public_registry_and_observatory_show_a_new_contract_on_the_next_view(site: Site, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    from temoin.services.contracts import import_contract

    c = site.client()
    registry, observed = c.get("/public").text, c.get(f"/public/contracts/{C}").text
    assert registry == c.get("/public").text  # kept: the same page again
    assert "aemo-copie" not in registry
    copy = tmp_path / "aemo-copie.yaml"
    copy.write_text((EXAMPLES / f"{C}.yaml").read_text(encoding="utf-8").replace(f"id: {C}", "id: aemo-copie", 1),
                    encoding="utf-8")
    import_contract(site.engine, copy, actor="test")  # a ledger entry; a peer of the same sector and country
    assert 'href="/public/contracts/aemo-copie"' in c.get("/public").text  # never the older registry
    assert c.get(f"/public/contracts/{C}").text != observed  # its peers counted anew


def test_the_budget_watch_is_gathered_again_after_any_change(site: Site) -> None:
    from temoin.web.routes import running

    c = site.signed_in("payer")
    first = c.get(f"/contracts/{C}/budget").text
    before = running._WATCHES.states(site.engine)
    assert c.get(f"/contracts/{C}/budget").text == first and running._WATCHES.states(site.engine) == before  # kept
    assign_role(site.engine, C, "new-observer", "union-assos", "civil_society_observer", actor="test")  # a ledger entry
    assert c.get(f"/contracts/{C}/budget").status_code == 200
    after = running._WATCHES.states(site.engine)
    assert after.keys() == before.keys() and all(after[k] > before[k] for k in before)  # gathered at the new head
