"""The database: column types, engines, SQLite's set-up, sessions, upserts, batches, rows.

SQLite is the embedded default and PostgreSQL the scale-out database; everything here
makes the two behave alike where the service depends on it (durable commits, foreign
keys, aware timestamps, writers that wait their turn instead of failing). Each job has
its module; the names most code needs are importable from here.
"""

from accident_online.kit.db.batch import BatchStep, execute_batch, insert_steps
from accident_online.kit.db.engine import create_engine, is_sqlite
from accident_online.kit.db.rows import new_row
from accident_online.kit.db.session import (
    SAFE_METHODS,
    Database,
    ReadSessionDep,
    SessionDep,
    get_db_session,
    get_read_session,
)
from accident_online.kit.db.setup_lock import SETUP_LOCK_KEY, hold_setup_lock
from accident_online.kit.db.sqlite import WRITE_OPTION, WRITER_QUEUE_OPTION, WriterQueue
from accident_online.kit.db.types import (
    NAMING_CONVENTION,
    Money,
    PydanticJSON,
    UTCDateTime,
    serial_primary_key,
)
from accident_online.kit.db.upsert import upsert_increment, upserting_insert

__all__ = [
    "NAMING_CONVENTION",
    "SAFE_METHODS",
    "SETUP_LOCK_KEY",
    "WRITER_QUEUE_OPTION",
    "WRITE_OPTION",
    "BatchStep",
    "Database",
    "Money",
    "PydanticJSON",
    "ReadSessionDep",
    "SessionDep",
    "UTCDateTime",
    "WriterQueue",
    "create_engine",
    "execute_batch",
    "get_db_session",
    "get_read_session",
    "hold_setup_lock",
    "insert_steps",
    "is_sqlite",
    "new_row",
    "serial_primary_key",
    "upsert_increment",
    "upserting_insert",
]
