"""The schema: migrations reach the models, ids are never reused, children die with parents."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import bindparam, delete, func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from contactsheet.clock import utcnow
from contactsheet.db import Database
from contactsheet.db.migrate import current_revision, head_revision, upgrade
from contactsheet.db.tables import (
    Base,
    Derivative,
    Photo,
    PhotoCount,
    PhotoFile,
    PhotoTag,
    Project,
    Setting,
    Tag,
    pending_deletion,
)
from contactsheet.db.types import JsonDocument, UTCDateTime
from contactsheet.library.names import name_key
from tests.conftest import ENGINES, fresh_database_url


@pytest.fixture(params=ENGINES)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database with no schema at all (PostgreSQL: a copy of template0)."""
    for url in fresh_database_url(request.param, tmp_path / "empty", "template0"):
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'db' / 'lib.sqlite'}")
    upgrade(database)
    yield database
    database.dispose()


def _project(session: Session, name: str) -> Project:
    project = Project(
        tenant="user_0", name=name, name_key=name_key(name), folder=name, folder_key=name_key(name)
    )
    session.add(project)
    session.flush()
    return project


def _photo(session: Session, project: Project, basename: str) -> Photo:
    photo = Photo(
        tenant="user_0", project_id=project.id, basename=basename, basename_key=name_key(basename)
    )
    session.add(photo)
    session.flush()
    return photo


def _photo_at(session: Session, project_id: int, basename: str) -> int:
    photo = Photo(
        tenant="user_0", project_id=project_id, basename=basename, basename_key=name_key(basename)
    )
    session.add(photo)
    session.flush()
    return photo.id


def _count(db: Database, model: type[Base]) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_upgrade_from_empty_reaches_head(empty_db: Database) -> None:
    assert current_revision(empty_db) is None
    assert inspect(empty_db.writer_engine).get_table_names() == []
    upgrade(empty_db)
    assert head_revision() is not None
    assert current_revision(empty_db) == head_revision()
    tables = set(inspect(empty_db.writer_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_migrated_schema_matches_the_models(empty_db: Database) -> None:
    upgrade(empty_db)
    with empty_db.writer_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_photo_files_are_made_for_the_files_photos_already_list(empty_db: Database) -> None:
    """0003 gives every file of an existing photo its row, without a fingerprint: that is read
    from disk when a comparison first needs it (docs/ingest.md)."""
    upgrade(empty_db, "0002")
    now = utcnow().replace(tzinfo=None)
    with empty_db.writer_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (tenant, name, name_key, folder, folder_key, status, "
                "created_at, updated_at) VALUES ('user_0', 'Old', 'old', 'Old', 'old', 'active', "
                ":now, :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO photos (tenant, project_id, basename, basename_key, filenames, "
                "jpg_available, raw_available, other_available, keep_jpg, keep_raw, file_size, "
                "taken_at, exif, visibility, rating, pick, created_at, updated_at) VALUES "
                "('user_0', 1, 'DSC1', 'dsc1', :names, true, true, false, true, true, 10, :now, "
                "'{}', 'private', 0, 'unflagged', :now, :now)"
            ).bindparams(bindparam("names", type_=JsonDocument)),
            {"names": ["DSC1.ARW", "DSC1.JPG"], "now": now},
        )
    upgrade(empty_db)
    with empty_db.read() as session:
        rows = session.execute(
            select(PhotoFile.photo_id, PhotoFile.filename, PhotoFile.filename_key)
            .where(PhotoFile.fingerprint.is_(None), PhotoFile.size.is_(None))
            .order_by(PhotoFile.filename)
        ).all()
    assert [tuple(r) for r in rows] == [(1, "DSC1.ARW", "dsc1.arw"), (1, "DSC1.JPG", "dsc1.jpg")]


def test_upgrading_twice_is_a_no_op(empty_db: Database) -> None:
    upgrade(empty_db)
    with empty_db.write() as session:
        session.add(Setting(key="marker", value="kept"))
    before = {
        name: inspect(empty_db.writer_engine).get_columns(name)
        for name in inspect(empty_db.writer_engine).get_table_names()
    }
    upgrade(empty_db)
    after = {
        name: inspect(empty_db.writer_engine).get_columns(name)
        for name in inspect(empty_db.writer_engine).get_table_names()
    }
    assert current_revision(empty_db) == head_revision()
    assert [c["name"] for t in sorted(before) for c in before[t]] == [
        c["name"] for t in sorted(after) for c in after[t]
    ]
    with empty_db.read() as session:
        assert session.get(Setting, "marker").value == "kept"  # type: ignore[union-attr]


def test_sqlite_connection_settings(sqlite_db: Database) -> None:
    with sqlite_db.writer_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert connection.exec_driver_sql("PRAGMA query_only").scalar() == 0
    with sqlite_db.reader_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA query_only").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_sqlite_readers_cannot_write(sqlite_db: Database) -> None:
    with pytest.raises(OperationalError, match="readonly"), sqlite_db.read() as session:
        session.execute(text("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', '')"))
    assert _count(sqlite_db, Setting) == 0


def test_sqlite_in_memory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Database("sqlite:///:memory:")


def test_ids_are_never_reused(db: Database) -> None:
    with db.write() as session:
        first = _project(session, "first").id
        second = _project(session, "second").id
    assert second > first
    with db.write() as session:
        session.execute(delete(Project).where(Project.id == second))
    with db.write() as session:
        third = _project(session, "third").id
    assert third > second

    with db.write() as session:
        project = session.get(Project, first)
        assert project is not None
        photo_id = _photo(session, project, "DSC0001").id
    with db.write() as session:
        session.execute(delete(Photo).where(Photo.id == photo_id))
    with db.write() as session:
        project = session.get(Project, first)
        assert project is not None
        assert _photo(session, project, "DSC0001").id > photo_id


def _populate(db: Database) -> tuple[int, int, int]:
    """Two projects; the first has two photos with derivatives and a tag on each photo."""
    with db.write() as session:
        project = _project(session, "Wedding")
        other = _project(session, "Other")
        tag = Tag(tenant="user_0", project_id=project.id, name="bride", name_key="bride")
        session.add(tag)
        session.flush()
        photos = [_photo(session, project, f"DSC000{i}") for i in (1, 2)]
        other_photo = _photo(session, other, "IMG0001")
        for photo in [*photos, other_photo]:
            for kind in ("thumbnail", "preview"):
                session.add(Derivative(photo_id=photo.id, kind=kind))
        for photo in photos:
            session.add(PhotoTag(photo_id=photo.id, tag_id=tag.id))
        return project.id, photos[0].id, other.id


def test_deleting_a_project_deletes_its_photos_and_derivatives(db: Database) -> None:
    project_id, _photo_id, other_id = _populate(db)
    assert (_count(db, Photo), _count(db, Derivative), _count(db, PhotoTag)) == (3, 6, 2)
    with db.write() as session:
        session.execute(delete(Project).where(Project.id == project_id))
    with db.read() as session:
        assert session.scalars(select(Photo.project_id)).all() == [other_id]
        remaining = session.scalars(select(Derivative.photo_id)).all()
        assert len(remaining) == 2
        assert set(remaining) == set(session.scalars(select(Photo.id)))
    assert _count(db, PhotoTag) == 0
    assert _count(db, Tag) == 0


def test_deleting_a_photo_deletes_its_derivatives_and_tags(db: Database) -> None:
    _project_id, photo_id, _other_id = _populate(db)
    with db.write() as session:
        session.execute(delete(Photo).where(Photo.id == photo_id))
    with db.read() as session:
        assert photo_id not in session.scalars(select(Derivative.photo_id)).all()
        assert photo_id not in session.scalars(select(PhotoTag.photo_id)).all()
    assert (_count(db, Photo), _count(db, Derivative), _count(db, PhotoTag)) == (2, 4, 1)
    # The tag itself belongs to the project and outlives the photo.
    assert _count(db, Tag) == 1


def test_a_derivative_needs_an_existing_photo(db: Database) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), db.write() as session:
        session.add(Derivative(photo_id=987654, kind="thumbnail"))
    assert _count(db, Derivative) == 0


def _hammer(databases: list[Database], threads: int, per_thread: int) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        database = databases[n % len(databases)]
        try:
            start.wait(timeout=30)
            for i in range(per_thread):
                with database.write() as session:
                    session.add(Setting(key=f"t{n}-{i}", value=str(i)))
                with database.read() as session:
                    session.scalar(select(func.count()).select_from(Setting))
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "writers hung"
    return errors


def test_concurrent_sqlite_writers_never_see_database_is_locked(sqlite_db: Database) -> None:
    errors = _hammer([sqlite_db], threads=8, per_thread=25)
    assert errors == []
    assert _count(sqlite_db, Setting) == 8 * 25


def test_two_sqlite_databases_on_one_file_share_it(sqlite_db: Database) -> None:
    # Like `serve` and a `worker` process: two writer engines on the same file.
    second = Database(sqlite_db.url)
    try:
        errors = _hammer([sqlite_db, second], threads=8, per_thread=25)
    finally:
        second.dispose()
    assert errors == []
    assert _count(sqlite_db, Setting) == 8 * 25


def test_upgrading_from_the_first_schema_keeps_derivatives_and_adds_their_warning(
    empty_db: Database,
) -> None:
    upgrade(empty_db, "0001")
    columns = inspect(empty_db.writer_engine).get_columns("derivatives")
    assert "warning" not in {column["name"] for column in columns}
    with empty_db.write() as session:
        # a project, a photo and a record as the first schema stores them (the models already
        # have the newer columns)
        project_id = session.execute(
            text(
                "INSERT INTO projects (tenant, name, name_key, folder, folder_key, status, "
                "created_at, updated_at) VALUES ('user_0', 'Wedding', 'wedding', 'Wedding', "
                "'wedding', 'active', :at, :at) RETURNING id"
            ).bindparams(bindparam("at", type_=UTCDateTime())),
            {"at": utcnow()},
        ).scalar_one()
        photo_id = _photo_at(session, project_id, "DSC0001")
        session.execute(
            text(
                "INSERT INTO derivatives (photo_id, kind, status, params, updated_at) "
                "VALUES (:photo, 'thumbnail', 'generated', :params, :at)"
            ).bindparams(
                bindparam("params", type_=JsonDocument), bindparam("at", type_=UTCDateTime())
            ),
            {"photo": photo_id, "params": {"width": 800}, "at": utcnow()},
        )
    upgrade(empty_db)
    assert current_revision(empty_db) == head_revision()
    with empty_db.write() as session:
        (record,) = session.scalars(select(Derivative)).all()
        assert (record.photo_id, record.status, record.warning) == (photo_id, "generated", None)
        assert record.params == {"width": 800}
        record.warning = "damaged, shown as far as it could be read (VipsJpeg: premature end)"
    with empty_db.read() as session:
        assert session.scalars(select(Derivative.warning)).one().startswith("damaged")


def test_projects_archived_before_0004_are_recorded_as_deleted(empty_db: Database) -> None:
    upgrade(empty_db, "0003")
    now = utcnow().replace(tzinfo=None)
    with empty_db.writer_engine.begin() as connection:
        for name, status in (("Gone", "archived"), ("Here", "active")):
            connection.execute(
                text(
                    "INSERT INTO projects (tenant, name, name_key, folder, folder_key, status, "
                    "created_at, updated_at) VALUES ('user_0', :name, :key, :name, :key, "
                    ":status, :now, :now)"
                ),
                {"name": name, "key": name.lower(), "status": status, "now": now},
            )
    upgrade(empty_db)
    with empty_db.read() as session:
        rows = session.execute(select(Project.name, Project.archived_reason).order_by(Project.id))
        assert [tuple(r) for r in rows] == [("Gone", "deleted"), ("Here", None)]


def _counts(db: Database) -> tuple[dict[int, int], dict[int, int]]:
    """(photo_counts as kept, a count of the rows) per project, projects without photos as 0."""
    with db.read() as session:
        kept = {p: n for p, n in session.execute(select(PhotoCount.project_id, PhotoCount.photos))}
        by_project = select(Photo.project_id, func.count()).group_by(Photo.project_id)
        counted = {p: n for p, n in session.execute(by_project)}
    return {k: v for k, v in kept.items() if v}, counted


def test_photo_counts_are_made_for_the_photos_already_there(empty_db: Database) -> None:
    upgrade(empty_db, "0005")
    with empty_db.write() as session:
        first, second = _project(session, "First"), _project(session, "Second")
        for n in range(3):
            _photo(session, first, f"A{n}")
        _photo(session, second, "B0")
        ids = first.id, second.id
    upgrade(empty_db)
    kept, counted = _counts(empty_db)
    assert kept == counted == {ids[0]: 3, ids[1]: 1}


def test_photo_counts_follow_every_insert_move_and_delete(db: Database) -> None:
    with db.write() as session:
        first, second, third = (_project(session, n) for n in ("One", "Two", "Three"))
        ids = first.id, second.id, third.id
        photo_ids = [_photo_at(session, ids[0], f"P{n}") for n in range(5)]
    with db.write() as session:  # a bulk insert, as the catalog builds none but a script might
        session.execute(
            Photo.__table__.insert(),
            [
                {
                    "tenant": "user_0",
                    "project_id": ids[1],
                    "basename": f"Q{n}",
                    "basename_key": f"q{n}",
                }
                for n in range(4)
            ],
        )
    assert _counts(db)[0] == {ids[0]: 5, ids[1]: 4}
    with db.write() as session:  # a move between projects; an update that moves nothing
        session.execute(
            Photo.__table__.update().where(Photo.id.in_(photo_ids[:2])).values(project_id=ids[2])
        )
        session.execute(Photo.__table__.update().where(Photo.id == photo_ids[2]).values(rating=3))
    assert _counts(db)[0] == {ids[0]: 3, ids[1]: 4, ids[2]: 2}
    with db.write() as session:
        session.execute(delete(Photo).where(Photo.id == photo_ids[3]))
        session.execute(delete(Project).where(Project.id == ids[1]))  # its photos cascade
    kept, counted = _counts(db)
    assert kept == counted == {ids[0]: 2, ids[2]: 2}
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), db.write() as session:
        _photo_at(session, ids[0], "P4")  # a refused insert changes no count
    assert _counts(db)[0] == {ids[0]: 2, ids[2]: 2}


def test_the_pending_summary_reads_the_pending_index(db: Database) -> None:
    """The index's condition is stored as text in its migration: if the rule's SQL drifted from
    it, the planner would quietly scan every photo again."""
    query = select(Photo.project_id, func.count()).where(pending_deletion())
    with db.read() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        compiled = query.group_by(Photo.project_id).compile(
            dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        if postgres:
            session.execute(text("SET LOCAL enable_seqscan = off"))
        explain = "EXPLAIN" if postgres else "EXPLAIN QUERY PLAN"
        plan = " ".join(str(row) for row in session.execute(text(f"{explain} {compiled}")))
    assert "ix_photos_pending" in plan, plan
