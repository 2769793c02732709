"""Large imports as background jobs (issue 16 item 8), on SQLite and PostgreSQL: a participants file
with more rows than ``import_job_rows`` is kept with a job (SHA-256), the page answers at once and
follows it (rows checked and saved), then shows what the import within a request shows — what was
saved, or every problem with nothing written — in the reader's language; one import per contract
at a time; the job read through the API with the token's rights; small files keep the immediate
answer."""

from __future__ import annotations

import hashlib
import html
import re
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from temoin.services import import_jobs, jobs
from temoin.services.accounts import create_api_token, list_accounts
from temoin.services.evaluations import generate_synthetic
from temoin.services.job_kinds import KINDS
from temoin.settings import Settings
from temoin.store import session_scope
from temoin.store.models.jobs import JobRow
from test_web_support import Site, csrf_of, make_site

C = "aemo-renforcee"
HX = {"HX-Request": "true"}
THRESHOLD = 1_000
"""Rows above which a file goes to a job in these tests: the example's 1,150 referred people do."""
SETTINGS = Settings(import_job_rows=THRESHOLD)


@pytest.fixture
def site(engine: Engine) -> Site:
    return make_site(engine, import_job_rows=THRESHOLD)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("cohort") / "participants.csv"
    generate_synthetic(None, C, path, settings=SETTINGS)
    return path.read_bytes()


def _count(engine: Engine, table: str, where: str = "") -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table} {where}")).scalar_one())


def _words(r: Any) -> str:
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r.text)))


def _upload(c: TestClient, content: bytes, *, name: str = "cohorte.csv", headers: dict[str, str] | None = None) -> Any:
    token = csrf_of(c, f"/contracts/{C}/data")
    return c.post(f"/contracts/{C}/data/participants", data={"csrf_token": token}, headers=headers or {},
                  files={"file": (name, content, "text/csv")}, follow_redirects=False)


def _run_all(engine: Engine) -> list[int]:
    ran = []
    while (job := jobs.run_next(engine, SETTINGS, "test-worker", KINDS)) is not None:
        ran.append(job)
    return ran


def _bad(content: bytes) -> bytes:
    """The cohort with three wrong rows (data rows 3, 700 and 1,100: file rows 4, 701 and 1,101)."""
    lines = content.decode("utf-8").splitlines()
    head = lines[0].split(",")
    for i in (3, 700, 1100):
        row = lines[i].split(",")
        row[head.index("risk_level")] = "extreme"
        lines[i] = ",".join(row)
    return "\n".join(lines).encode()


def _ledger_imports(engine: Engine) -> int:
    return _count(engine, "audit_ledger", "WHERE event = 'cohort.participants_imported'")


def test_a_large_file_is_imported_by_a_job_and_its_page_shows_the_same_result(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    r = _upload(op, cohort)
    assert r.status_code == 303 and re.fullmatch(rf"/contracts/{C}/data\?job=\d+", r.headers["location"])
    job_id = int(r.headers["location"].rsplit("=", 1)[1])
    assert _count(site.engine, "cohort_participants") == 0  # queued: nothing imported yet
    with session_scope(site.engine) as s:
        row = s.get(JobRow, job_id)
        assert row is not None and row.kind == import_jobs.PARTICIPANTS and row.requested_by == "web:operateur"
        assert row.input_name == "cohorte.csv" and row.input_data == cohort
        assert row.input_sha256 == hashlib.sha256(cohort).hexdigest()
    page = op.get(r.headers["location"])
    assert page.status_code == 200 and 'data-status="queued"' in page.text
    assert "Le fichier (cohorte.csv, 1\u202f150 lignes) est vérifié puis importé en arrière-plan" in _words(page)
    assert f'hx-get="/contracts/{C}/jobs/{job_id}"' in page.text  # htmx follows it

    assert _run_all(site.engine) == [job_id]
    assert _count(site.engine, "cohort_participants") == 1150
    assert _ledger_imports(site.engine) == 1
    with session_scope(site.engine) as s:
        entry = s.execute(text("SELECT actor FROM audit_ledger WHERE event = 'cohort.participants_imported'")).scalar_one()
        assert entry == "web:operateur"  # the job's requester, as the import within a request
        row = s.get(JobRow, job_id)
        assert row is not None and row.input_data is None and row.input_sha256 == hashlib.sha256(cohort).hexdigest()
    polled = op.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert polled.status_code == 200 and 'data-status="done"' in polled.text and "hx-get" not in polled.text
    assert "Fichier importé : 1\u202f150 lignes enregistrées." in polled.text and 'id="import-ok"' in polled.text
    op.cookies.set("temoin_lang", "en")
    page = op.get(f"/contracts/{C}/data?job={job_id}")
    assert "File imported: 1,150 rows saved." in page.text and "Eligible:" in page.text


def test_a_file_with_errors_fails_its_job_with_every_problem_and_nothing_written(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator", lang="en")
    r = _upload(op, _bad(cohort), headers=HX)  # through htmx: the job's fragment at once
    assert r.status_code == 202 and 'id="data-result"' in r.text and 'data-status="queued"' in r.text
    job_id = int(re.search(r'id="job-(\d+)"', r.text).group(1))  # type: ignore[union-attr]
    _run_all(site.engine)
    assert _count(site.engine, "cohort_participants") == 0 and _ledger_imports(site.engine) == 0
    job = jobs.get_job(site.engine, job_id)
    assert job.status is jobs.JobStatus.FAILED and job.input_sha256 is not None
    polled = op.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    table = re.search(r'<table id="row-errors">.*?</table>', polled.text, re.S)
    assert table is not None, polled.text
    assert re.findall(r'<td class="num">(\d+)</td>', table.group(0)) == ["4", "701", "1101"]
    assert table.group(0).count("extreme") == 3 and "Risk level" in table.group(0)
    assert "File refused: 3 problem(s); nothing was saved." in _words(polled)
    op.cookies.set("temoin_lang", "fr")
    page = op.get(f"/contracts/{C}/data?job={job_id}")
    assert "Fichier refusé : 3 problème(s) ; rien n'a été enregistré." in _words(page)
    assert "Niveau de risque" in page.text and 'data-status="failed"' in page.text


def test_a_second_upload_while_one_runs_is_refused_then_accepted(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    first = _upload(op, cohort)
    assert first.status_code == 303
    job_id = int(first.headers["location"].rsplit("=", 1)[1])
    small = b"\n".join(cohort.splitlines()[:11])  # ten rows: within the request, but not beside an import under way
    for content in (cohort, small):
        again = _upload(op, content)
        assert again.status_code == 409, again.text
        assert f"Un import est déjà en cours pour ce contrat (tâche n° {job_id})." in _words(again)
    with session_scope(site.engine) as s:  # a running job (claimed by a worker) blocks too
        from temoin.store import jobs as queue

        assert queue.claim(s, "elsewhere", jobs._now()) is not None
    assert _upload(op, small).status_code == 409
    with session_scope(site.engine) as s:
        s.execute(text("UPDATE jobs SET status = 'queued', worker = NULL"))
    _run_all(site.engine)
    assert _count(site.engine, "cohort_participants") == 1150
    lines = small.decode().splitlines()
    others = "\n".join([lines[0], *(f"nouveau-{i}," + line.split(",", 1)[1] for i, line in enumerate(lines[1:]))])
    r = _upload(op, others.encode())  # once it ended, a small file is answered at once, with no job
    assert r.status_code == 200 and "Fichier importé : 10 lignes enregistrées." in r.text
    assert _count(site.engine, "jobs") == 1


def test_small_files_keep_the_immediate_answer(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    small = b"\n".join(cohort.splitlines()[:THRESHOLD + 1])  # exactly the threshold: within the request
    r = _upload(op, small)
    assert r.status_code == 200 and "Fichier importé : 1\u202f000 lignes enregistrées." in r.text
    assert _count(site.engine, "jobs") == 0 and _count(site.engine, "cohort_participants") == THRESHOLD


def test_only_those_who_may_send_the_file_follow_its_job(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    job_id = int(_upload(op, cohort).headers["location"].rsplit("=", 1)[1])
    evaluator = site.signed_in("evaluator")
    assert _upload(evaluator, cohort).status_code == 403  # may not send participants: no job made
    for path in (f"/contracts/{C}/data?job={job_id}", f"/contracts/{C}/jobs/{job_id}"):
        assert evaluator.get(path, headers=HX).status_code == 403
        assert site.signed_in("investor").get(path, headers=HX).status_code == 403
        assert site.signed_in("other investor").get(path, headers=HX).status_code == 403  # no role in it
        assert site.client().get(path, headers=HX, follow_redirects=False).status_code in (303, 401)
    assert op.get(f"/contracts/{C}/data?job={job_id + 1}").status_code == 404
    assert _count(site.engine, "jobs") == 1


def _token(site: Site, username: str, scopes: list[str]) -> dict[str, str]:
    account = next(a for a in list_accounts(site.engine) if a.username == username)
    return {"Authorization": f"Bearer {create_api_token(site.engine, account.id, 't', actor='test', scopes=scopes)}"}


def test_the_api_answers_202_and_the_job_is_read_with_the_token_s_rights(site: Site, cohort: bytes) -> None:
    api = site.client()
    op = _token(site, "operateur", ["data.participants"])

    def send(name: str, content: bytes) -> Any:
        return api.post(f"/api/v1/contracts/{C}/participants", headers=op, files={"file": (name, content, "text/csv")})

    r = send("b.csv", _bad(cohort))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["url"] == f"/api/v1/jobs/{body['job']}" == r.headers["location"]
    state = api.get(body["url"], headers=op)
    assert state.status_code == 200 and state.json()["status"] == "queued" and state.json()["kind"] == "import_participants"
    assert state.json()["input"] == {"name": "b.csv", "sha256": hashlib.sha256(_bad(cohort)).hexdigest()}
    assert api.get(body["url"], headers=_token(site, "operateur", [])).status_code == 403  # read-only token
    assert api.get(body["url"], headers=_token(site, "evaluateur", ["data.waves"])).status_code == 403
    assert api.get(body["url"], headers=_token(site, "investisseur-autre", [])).status_code == 404  # not said to exist
    assert api.get(body["url"]).status_code == 401
    assert api.get("/api/v1/jobs/999999", headers=op).status_code == 404
    again = send("c.csv", cohort)
    assert again.status_code == 409 and again.json()["error"]["code"] == "job.busy"
    _run_all(site.engine)
    failed = api.get(body["url"], headers=op).json()
    assert failed["status"] == "failed" and failed["error"]["code"] == "cohort.file_refused" and failed["result"] is None
    assert [p["row"] for p in failed["error"]["rows"]] == [4, 701, 1101] and failed["error"]["more"] == 0
    assert failed["error"]["rows"][0]["message"].startswith("valeur hors liste")  # French: the token's default
    assert _count(site.engine, "cohort_participants") == 0  # the refused file wrote nothing

    good = send("c.csv", cohort)
    assert good.status_code == 202
    _run_all(site.engine)
    done = api.get(good.json()["url"], headers=op | {"Accept-Language": "en"}).json()
    assert done["status"] == "done" and done["progress"] == 1.0 and done["error"] is None
    assert done["result"]["rows"] == 1150 and done["result"]["contract_id"] == C and "joining" not in done["result"]
    assert _count(site.engine, "cohort_participants") == 1150


def test_the_job_says_how_many_rows_were_checked_and_saved_as_it_goes(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    job_id = int(_upload(op, cohort).headers["location"].rsplit("=", 1)[1])
    seen: list[tuple[float, dict[str, Any] | None]] = []
    pages: list[str] = []
    kind = KINDS[import_jobs.PARTICIPANTS]

    def watching(engine: Engine, settings: Settings, args: Any, progress: Any) -> Any:
        def noting(share: float, detail: dict[str, Any] | None = None) -> None:
            seen.append((share, detail))
            time.sleep(jobs.PROGRESS_EVERY)  # past the throttle: every note is written
            progress(share, detail)
            if detail and detail["checked"] == 1150 and not detail["saved"]:
                pages.append(_words(op.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)))
        return kind(engine, settings, args, noting)

    assert jobs.run_next(site.engine, SETTINGS, "w", {import_jobs.PARTICIPANTS: watching}) == job_id
    details = [d for _, d in seen if d]
    assert details[0] == {"checked": 0, "saved": 0, "rows": 1150}  # before the import's transaction: on both databases
    if site.engine.dialect.name == "postgresql":  # SQLite's one writer is the import until it ends
        assert {"checked": 1150, "saved": 0, "rows": 1150} in details
        assert details[-1] == {"checked": 1150, "saved": 1150, "rows": 1150}
        assert [s for s, _ in seen] == sorted(s for s, _ in seen)
        assert "Lignes vérifiées : 1\u202f150 sur 1\u202f150 ; enregistrées (gardées seulement si toutes les lignes " \
               "sont justes) : 0." in pages[0]
    else:
        assert details == [{"checked": 0, "saved": 0, "rows": 1150}]
    assert jobs.get_job(site.engine, job_id).result["rows"] == 1150  # type: ignore[index]


def test_an_altered_file_is_not_imported(site: Site, cohort: bytes) -> None:
    op = site.signed_in("operator")
    job_id = int(_upload(op, cohort).headers["location"].rsplit("=", 1)[1])
    with session_scope(site.engine) as s:
        row = s.execute(select(JobRow).where(JobRow.id == job_id)).scalar_one()
        row.input_data = cohort.replace(b"oui", b"non", 1)
    _run_all(site.engine)
    job = jobs.get_job(site.engine, job_id)
    assert job.status is jobs.JobStatus.FAILED and job.error is not None and job.error.code == "job.input_altered"
    assert _count(site.engine, "cohort_participants") == 0
    page = op.get(f"/contracts/{C}/jobs/{job_id}", headers=HX)
    assert "ne correspond plus à son empreinte : rien n'a été importé" in _words(page)


def test_a_large_wave_is_imported_by_a_job_for_the_evaluator(engine: Engine, tmp_path: Path) -> None:
    from temoin.services import evaluations as ev

    site = make_site(engine, import_job_rows=100)
    people = tmp_path / "participants.csv"
    generate_synthetic(None, C, people, settings=SETTINGS)
    ev.import_participants(engine, C, people, settings=SETTINGS, actor="test")
    ev.randomise_cohort(engine, C, seed=1, actor="test")
    ev.lock_plan(engine, C, actor="test")
    wave = tmp_path / "m12.csv"
    rows = generate_synthetic(engine, C, wave, wave="m12", settings=SETTINGS)
    assert rows > 100
    api = site.client()
    evaluator = _token(site, "evaluateur", ["data.waves"])
    unknown = api.post(f"/api/v1/contracts/{C}/waves/m99", headers=evaluator,
                       files={"file": ("m99.csv", wave.read_bytes(), "text/csv")})
    assert unknown.status_code == 422 and unknown.json()["error"]["path"] == "wave"  # at once, no job
    r = api.post(f"/api/v1/contracts/{C}/waves/m12", headers=evaluator,
                 files={"file": ("m12.csv", wave.read_bytes(), "text/csv")})
    assert r.status_code == 202, r.text
    assert api.get(r.json()["url"], headers=_token(site, "operateur", ["data.participants"])).status_code == 403
    _run_all(engine)
    done = api.get(r.json()["url"], headers=evaluator).json()
    assert done["status"] == "done" and done["kind"] == "import_wave" and done["result"]["rows"] == rows
    assert _count(engine, "cohort_outcomes", "WHERE wave = 'm12'") == rows
    assert _count(engine, "audit_ledger", "WHERE event = 'cohort.outcomes_imported' AND actor = 'web:evaluateur'") == 1
    assert _count(engine, "jobs") == 1
