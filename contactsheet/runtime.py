"""The running application's parts, opened once and handed to the API, the CLI and the workers."""

from __future__ import annotations

from dataclasses import dataclass, field

from contactsheet.auth.bootstrap import load_or_create_secret_key
from contactsheet.auth.ratelimit import RateLimits
from contactsheet.config import Settings
from contactsheet.db import Database
from contactsheet.db.migrate import upgrade
from contactsheet.imaging.engine import configure as configure_imaging
from contactsheet.jobs.queue import JobQueue
from contactsheet.jobs.tasks import catalogue_with_extensions
from contactsheet.library.paths import LibraryPaths


@dataclass
class Runtime:
    settings: Settings
    db: Database
    paths: LibraryPaths
    secret_key: str
    limits: RateLimits = field(init=False)
    queue: JobQueue = field(init=False)

    def __post_init__(self) -> None:
        self.limits = RateLimits(self.settings.auth, self.settings.sharing)
        config = self.settings.pipeline
        catalogue = catalogue_with_extensions(config.handler_modules)
        self.queue = JobQueue(self.db, config, catalogue, self.settings.tenant)

    @property
    def tenant(self) -> str:
        return self.settings.tenant

    def close(self) -> None:
        self.db.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Create the data folder, open the database (migrated to the newest schema) and the key, and
    cap libvips' threads."""
    # libvips' thread count belongs to the process: set once here, where serve, worker and every
    # command start, it holds for each render, a thumbnail the API remakes on request included.
    configure_imaging(settings.processing.vips_concurrency, settings.processing.malloc_arenas)
    paths = LibraryPaths(settings.data, settings.tenant)
    paths.projects_root.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    if migrate:
        upgrade(db)
    configured_key = settings.secret_key.get_secret_value() if settings.secret_key else None
    key = load_or_create_secret_key(paths.secret_key_file, configured_key)
    return Runtime(settings=settings, db=db, paths=paths, secret_key=key)
