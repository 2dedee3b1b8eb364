"""The database: engine and sessions, tables, migrations."""

from contactsheet.db.database import Database

__all__ = ["Database"]
