__all__ = []

# %% ../../nbs/25_journal_sqlite.ipynb #8e8afad1
from .base import *
from .connection import Watch, SharedDB, WriteLocked, patiently
from .sqlite import Journal, SqliteJournal, sqlite_path, redacted

# %% ../../nbs/25_journal_sqlite.ipynb #fe2dc93a
from .base import *
from .connection import Watch, SharedDB, WriteLocked, patiently
from .sqlite import Journal, SqliteJournal, sqlite_path, redacted

# %% ../../nbs/25_journal_sqlite.ipynb #79b52a21
from .base import *
from .connection import Watch, SharedDB, WriteLocked, patiently
from .sqlite import Journal, SqliteJournal, sqlite_path, redacted

# %% ../../nbs/25_journal_sqlite.ipynb #79b52a21
from .base import *
from .connection import Watch, SharedDB, WriteLocked, patiently
from .sqlite import Journal, SqliteJournal, sqlite_path, redacted