"""An API key remembers its maker's token version: disabling, re-enabling or a new password ends
the maker's keys as it ends their sessions and tokens. Keys made before keep working until then.
Written by hand."""

from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("api_key", "creator_version", IntegerField(default=0)),
    )
    db.execute_sql(
        "UPDATE api_key SET creator_version ="
        " (SELECT token_version FROM staff WHERE staff.id = api_key.created_by_id)"
        " WHERE created_by_id IS NOT NULL"
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("api_key", "creator_version"))
