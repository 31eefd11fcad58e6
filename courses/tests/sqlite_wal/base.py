"""The test suite's SQLite engine: Django's, able to clone a database in WAL mode.

The embedded default runs SQLite in WAL mode (``config/settings/base.py``), where committed
pages may still sit in the ``-wal`` file. ``manage.py test --parallel`` clones the test database
by copying its main file only, so a clone would miss the tables; a checkpoint first moves every
committed page into the main file.
"""

from django.db.backends.sqlite3 import base, creation


class DatabaseCreation(creation.DatabaseCreation):
    def _clone_test_db(self, suffix, verbosity, keepdb=False):
        if not self.is_in_memory_db(self.connection.settings_dict["NAME"]):
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        super()._clone_test_db(suffix, verbosity, keepdb)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
