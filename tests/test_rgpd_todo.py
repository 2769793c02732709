"""Rights requests on the operator's to-do list: each open request with its legal deadline (one month
after receipt), overdue ones first and marked, linking to the request on the rights page; answered
requests leave the list; other roles do not see them. In French and English."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from temoin.contract.data_protection import RequestKind, RequestOutcome
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.services import evaluations as ev
from temoin.services import todo
from temoin.services.requests import answer_request, receive_request
from temoin.services.todo import todo_list
from temoin.settings import Settings
from test_web_support import Site, make_site

C = "aemo-renforcee"
SETTINGS = Settings()


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _people(site: Site, tmp: Path) -> list[str]:
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=SETTINGS)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).head(30)
    frame.to_csv(path, index=False)
    ev.import_participants(site.engine, C, path, actor="test", settings=SETTINGS)
    return [str(i) for i in frame["participant_id"]]


def _items(html: str) -> list[str]:
    section = re.search(r'<section id="todo".*?</section>', html, re.S)
    assert section, "no to-do list on the home page"
    return re.findall(r'<li class="todo-item.*?</li>', section.group(0), re.S)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'").strip()


def test_the_deadline_becomes_overdue_the_day_after_and_an_answer_takes_the_request_off(site: Site, tmp_path: Path) -> None:
    people = _people(site, tmp_path)
    req = receive_request(site.engine, C, people[0], RequestKind.ACCESS, dt.date(2026, 3, 31), settings=SETTINGS,
                          today=dt.date(2026, 4, 2))
    assert req.due_on == dt.date(2026, 4, 30)
    roles = {C: frozenset({"operator"})}

    def earlier(engine: Engine, person: str, held: object, today: dt.date) -> list[todo.TodoItem]:
        """An item of a contract sorted before this one, due earlier, not overdue."""
        return [todo.TodoItem("other", "a-contract", Msg("Awaiting you"), "/", due=dt.date(2026, 1, 1))]

    todo.todo_provider(earlier)
    try:
        on_time = todo_list(site.engine, "demo-operateur", roles, today=dt.date(2026, 4, 30))
        late = todo_list(site.engine, "demo-operateur", roles, today=dt.date(2026, 5, 1))
    finally:
        todo._PROVIDERS.remove(earlier)
    assert on_time[0].kind == "other"
    [a] = [i for i in on_time if i.kind == "rights_request"]
    [b] = [i for i in late if i.kind == "rights_request"]
    assert (a.due, a.overdue, b.due, b.overdue) == (req.due_on, False, req.due_on, True)
    assert a.link == b.link == f"/contracts/{C}/rgpd#request-{req.id}"
    assert late[0] == b  # overdue first
    assert not [i for i in todo_list(site.engine, "demo-evaluateur", {C: frozenset({"evaluator", "outcome_payer"})},
                                     today=dt.date(2026, 5, 1)) if i.kind == "rights_request"]  # the operator's task
    answer_request(site.engine, req.id, RequestOutcome.DONE, today=dt.date(2026, 5, 2))
    assert not [i for i in todo_list(site.engine, "demo-operateur", roles, today=dt.date(2026, 5, 3))
                if i.kind == "rights_request"]


@pytest.mark.parametrize(("lang", "overdue", "late", "open_"), [
    ("fr", "En retard", "Répondre à la demande n° {n} (accès, reçue le {received}) : la réponse était due le {due}.",
     "Répondre à la demande n° {n} (effacement, reçue le {received}) d'ici le {due}."),
    ("en", "Overdue", "Answer request no. {n} (access, received on {received}): the answer was due on {due}.",
     "Answer request no. {n} (erasure, received on {received}) by {due}.")])
def test_the_operator_reads_each_open_request_with_its_deadline_on_the_home_page(
        site: Site, tmp_path: Path, lang: str, overdue: str, late: str, open_: str) -> None:
    people = _people(site, tmp_path)
    today = dt.date.today()
    words = Translator(lang)
    old = receive_request(site.engine, C, people[0], RequestKind.ACCESS, today - dt.timedelta(days=70), settings=SETTINGS)
    new = receive_request(site.engine, C, people[1], RequestKind.ERASURE, today - dt.timedelta(days=3), settings=SETTINGS)
    done = receive_request(site.engine, C, people[2], RequestKind.RECTIFICATION, today - dt.timedelta(days=80),
                           settings=SETTINGS)
    answer_request(site.engine, done.id, RequestOutcome.REFUSED, answer="art. 17-3-d")
    operator = site.signed_in("operator", lang=lang)
    items = _items(operator.get("/").text)
    mine = [i for i in items if 'data-kind="rights_request"' in i]
    assert len(mine) == 2 and items[0] == mine[0]  # overdue first of the whole list
    first, second = mine
    assert _text(first).startswith(f"{overdue} " + late.format(n=old.id, received=words.date(old.received_on),
                                                               due=words.date(old.due_on)))
    assert 'class="todo-item overdue"' in first and f'href="/contracts/{C}/rgpd#request-{old.id}"' in first
    assert _text(second).startswith(open_.format(n=new.id, received=words.date(new.received_on), due=words.date(new.due_on)))
    assert overdue not in _text(second) and f'href="/contracts/{C}/rgpd#request-{new.id}"' in second
    rights = operator.get(f"/contracts/{C}/rgpd").text  # the link leads to the request's row
    assert f'<tr id="request-{old.id}" class="late">' in rights and f'<tr id="request-{new.id}">' in rights
    evaluator = _items(site.signed_in("evaluator", lang=lang).get("/").text)
    assert not [i for i in evaluator if "rights_request" in i]
