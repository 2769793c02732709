"""One migration history (SQLite and PostgreSQL).

0002–0006 each branched from 0001 (one branch per area); 0007 merges them. Checked here: the
history has one head and is linear after the merge; a database made by the old code (``upgrade
heads`` over the five branches) or stopped partway upgrades to that head and ends with the same
schema as a fresh one; each downgrade undoes exactly its upgrade; the models match the migrated
schema (alembic's autogenerate comparison); and a new revision can be made with the documented
command line.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, inspect, text

import temoin
from temoin.store import downgrade, make_engine, migrate
from temoin.store.db import MIGRATIONS
from temoin.store.models import Base

FOUNDATION = "0001_foundation"
# The five branches from 0001 (revision → branch label), i.e. the heads before the merge.
OLD_HEADS = {"0002_cohorts": "cohorts", "0003_settlements": "settlements",
             "0004_governance": "governance", "0005_opendata": "opendata", "0006_accounts": "accounts"}
MERGE = "0007_one_history"
INI = MIGRATIONS / "alembic.ini"


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(Config(str(INI)))


def _heads(engine: Engine) -> set[str]:
    with engine.connect() as c:
        return set(MigrationContext.configure(c).get_current_heads())


def _schema(engine: Engine) -> dict[str, Any]:
    """Everything a migration makes, as reflected from the database: tables (columns, keys,
    indexes, constraints), triggers and, on PostgreSQL, functions and sequences."""
    insp = inspect(engine)
    tables: dict[str, Any] = {}
    for t in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        pk = insp.get_pk_constraint(t)
        tables[t] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in insp.get_columns(t)],
            "pk": (pk.get("name"), pk["constrained_columns"]),
            "fks": sorted((f["name"], f["constrained_columns"], f["referred_table"], f["referred_columns"],
                           sorted(f.get("options", {}).items())) for f in insp.get_foreign_keys(t)),
            "indexes": sorted((i["name"], i["column_names"], i["unique"]) for i in insp.get_indexes(t)),
            "uniques": sorted((u["name"], u["column_names"]) for u in insp.get_unique_constraints(t)),
            "checks": sorted((c["name"], c["sqltext"]) for c in insp.get_check_constraints(t)),
        }
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            triggers = c.execute(text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                      "WHERE NOT tgisinternal ORDER BY tgname")).all()
            functions = c.execute(text("SELECT p.proname, p.prosrc FROM pg_proc p JOIN pg_namespace n "
                                       "ON n.oid = p.pronamespace WHERE n.nspname = 'public' "
                                       "ORDER BY p.proname")).all()
            sequences = sorted(insp.get_sequence_names())
        else:
            triggers = c.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                      "ORDER BY name")).all()
            functions, sequences = [], []
    return {"tables": tables, "triggers": [tuple(r) for r in triggers],
            "functions": [tuple(r) for r in functions], "sequences": sequences}


def _model_differences(engine: Engine) -> list[Any]:
    with engine.connect() as c:
        ctx = MigrationContext.configure(c, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(ctx, Base.metadata))


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], Engine]]:
    """Makes further empty databases of the test's dialect (for a fresh schema to compare with)."""
    engines: list[Engine] = []
    pg_names: list[str] = []

    def _pg_admin() -> Engine:
        return create_engine(request.getfixturevalue("pg_cluster").url(), isolation_level="AUTOCOMMIT")

    def _new(dialect: str) -> Engine:
        if dialect == "sqlite":
            url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.db'}"
        else:
            name = "t_" + uuid.uuid4().hex[:12]
            admin = _pg_admin()
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            pg_names.append(name)
            url = request.getfixturevalue("pg_cluster").url(name)
        engines.append(make_engine(url))
        return engines[-1]

    yield _new
    for eng in engines:
        eng.dispose()
    if pg_names:
        admin = _pg_admin()
        with admin.connect() as c:
            for name in pg_names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def old_migrations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrations folder as it was before the merge: 0001–0006 only."""
    folder = tmp_path_factory.mktemp("old") / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    kept = {FOUNDATION, *OLD_HEADS}
    for f in (folder / "versions").glob("*.py"):
        if f.stem not in kept:
            f.unlink()
    return folder


def _old_upgrade(engine: Engine, folder: Path, target: str) -> None:
    """What ``temoin.store.migrate`` did before the merge, with the old migrations folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.attributes["engine"] = engine
    command.upgrade(cfg, target)


def test_one_head_and_a_linear_history_after_the_merge() -> None:
    script = _script()
    head = script.get_current_head()  # raises if there is more than one head
    assert script.get_heads() == [head]
    merge = script.get_revision(MERGE)
    assert merge is not None and isinstance(merge.down_revision, tuple)
    assert set(merge.down_revision) == set(OLD_HEADS)
    assert MERGE in {r.revision for r in script.iterate_revisions(head, "base")}, "head after the merge"
    revisions = list(script.walk_revisions())
    assert [r.revision for r in revisions if r.is_merge_point] == [MERGE], "only one merge, 0007"
    assert [r.revision for r in revisions if r.is_branch_point] == [FOUNDATION], "no new branch"
    for r in revisions:
        assert Path(r.path).stem == r.revision, f"{r.path}: a file is named after its revision id"
        assert len(r.revision) <= 32, f"{r.revision}: alembic_version holds at most 32 characters"


def test_old_migrations_folder_had_the_five_heads(old_migrations: Path) -> None:
    """The reference the upgrade tests start from really is the old, branched history."""
    cfg = Config()
    cfg.set_main_option("script_location", str(old_migrations))
    assert set(ScriptDirectory.from_config(cfg).get_heads()) == set(OLD_HEADS)


# Databases made before the merge: by the old `migrate` (upgrade heads), stopped partway, or empty.
OLD_STATES = {
    "old-heads": (["heads"], set(OLD_HEADS)),
    "0001-only": ([FOUNDATION], {FOUNDATION}),
    "0001+0002+0004": (["0002_cohorts", "0004_governance"], {"0002_cohorts", "0004_governance"}),
    "empty": ([], set()),
}


@pytest.mark.parametrize("state", OLD_STATES)
def test_a_database_made_before_the_merge_upgrades_to_the_head(
        state: str, db_url: str, old_migrations: Path, new_database: Callable[[str], Engine]) -> None:
    targets, expected = OLD_STATES[state]
    eng = make_engine(db_url)
    for target in targets:
        _old_upgrade(eng, old_migrations, target)
    assert _heads(eng) == expected
    migrate(eng)
    assert _heads(eng) == {_script().get_current_head()}
    fresh = new_database(eng.dialect.name)
    migrate(fresh)
    schema = _schema(eng)
    assert schema == _schema(fresh)
    assert schema["tables"] and schema["triggers"], "the comparison must see tables and triggers"
    assert _model_differences(eng) == []
    eng.dispose()


@pytest.mark.slow
def test_every_combination_of_old_branches_upgrades_on_sqlite(
        tmp_path: Path, old_migrations: Path) -> None:
    """Each of the 32 sets of area branches a database could have on top of 0001."""
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate(fresh)
    expected = _schema(fresh)
    head = _script().get_current_head()
    for n in range(len(OLD_HEADS) + 1):
        for branches in itertools.combinations(OLD_HEADS, n):
            eng = make_engine(f"sqlite:///{tmp_path / ('db-' + '-'.join(b[:4] for b in branches) + '.db')}")
            for target in (FOUNDATION, *branches):
                _old_upgrade(eng, old_migrations, target)
            assert _heads(eng) == (set(branches) or {FOUNDATION})
            migrate(eng)
            assert _heads(eng) == {head}, branches
            assert _schema(eng) == expected, branches
            eng.dispose()
    fresh.dispose()


def _undo_target(revision: str, down: str | Sequence[str] | None) -> str:
    """The downgrade target that removes exactly `revision` when it is the newest applied."""
    if down is None:
        return "base"
    if not isinstance(down, str):  # a merge: its parents stay applied
        return down[0]
    if revision in OLD_HEADS:  # a branch from 0001: only this branch goes
        return f"{OLD_HEADS[revision]}@{down}"
    return down


def test_every_downgrade_undoes_its_upgrade(db_url: str) -> None:
    """Upgrade one revision at a time, then downgrade one at a time: each downgrade must leave the
    schema exactly as it was before that revision's upgrade (tables, indexes, triggers…)."""
    eng = make_engine(db_url)
    order = list(reversed(list(_script().walk_revisions())))
    before: list[dict[str, Any]] = []
    for r in order:
        before.append(_schema(eng))
        migrate(eng, r.revision)
        assert r.revision in _heads(eng)
    assert _heads(eng) == {order[-1].revision}
    assert _model_differences(eng) == []
    for r, schema in zip(reversed(order), reversed(before), strict=True):
        downgrade(eng, _undo_target(r.revision, r.down_revision))
        assert r.revision not in _heads(eng)
        assert _schema(eng) == schema, f"downgrading {r.revision} does not undo its upgrade"
    assert _heads(eng) == set()
    eng.dispose()


def test_models_match_the_migrated_schema(engine: Engine) -> None:
    assert _model_differences(engine) == []


def _alembic(ini: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"TEMOIN_DATABASE_URL": url,
                        "PYTHONPATH": str(Path(temoin.__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "alembic", "-c", str(ini), *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_a_new_revision_can_be_made_with_the_command_line(db_url: str, tmp_path: Path) -> None:
    """The commands of "How to add a migration", on a copy of the migrations folder."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    ini = folder / "alembic.ini"
    head = _script().get_current_head()
    steps = [("upgrade", "head"), ("check",),  # check: autogenerate finds nothing to do
             ("revision", "--autogenerate", "--rev-id", "0999_trial", "-m", "Trial"),
             ("revision", "--rev-id", "1000_plain", "-m", "Plain"), ("upgrade", "head")]
    for args in steps:
        done = _alembic(ini, db_url, *args)
        assert done.returncode == 0, f"alembic {' '.join(args)}: {done.stdout}{done.stderr}"
    script = ScriptDirectory.from_config(Config(str(ini)))
    assert script.get_heads() == ["1000_plain"]
    made = {r.revision: r.down_revision for r in script.walk_revisions()}
    assert made["1000_plain"] == "0999_trial" and made["0999_trial"] == head
    assert (folder / "versions" / "0999_trial.py").exists()
    eng = make_engine(db_url)
    assert _heads(eng) == {"1000_plain"}
    eng.dispose()


def test_migrate_refuses_a_second_head(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`migrate` upgrades to the one head: a branch added by mistake stops it (the upgrade order
    is never left implicit again) instead of being applied alongside."""
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    for rev in ("0999_stray", "1000_stray"):  # two revisions on top of the head: two heads
        (folder / "versions" / f"{rev}.py").write_text(
            f"revision = {rev!r}\ndown_revision = {MERGE!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
            "def upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    pass\n")
    monkeypatch.setattr("temoin.store.db.MIGRATIONS", folder)
    eng = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(CommandError, match="Multiple head revisions"):
        migrate(eng)
    assert _heads(eng) == set()
    eng.dispose()
