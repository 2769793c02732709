"""``make demo``'s database set-up: it recreates the database, and touches nothing else."""

from __future__ import annotations

from pathlib import Path

from temoin.demo import fresh_database


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
