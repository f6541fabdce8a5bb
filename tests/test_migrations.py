"""Migrations produce exactly the models' schema (columns, types, nulls, indexes, FKs, CHECKs)."""

from playhouse.schema_diff import diff_models

from app.db import db
from app.models import MODELS
from config.settings import TestingConfig
from devkit.databases import create_database, drop_database, open_database, schema_of


def test_migrated_database_has_no_drift_from_the_models(app):
    diff = diff_models(db.obj, MODELS)
    assert not diff, str(diff)


def test_migrated_schema_equals_a_schema_built_from_the_models(app, tmp_path):
    base = TestingConfig.DATABASE_URL
    url = create_database(base, tmp_path)
    scratch = open_database(url)
    try:
        with scratch.bind_ctx(MODELS), scratch.connection_context():
            scratch.create_tables(MODELS)
            expected = schema_of(scratch)
        actual = schema_of(db.obj)
        assert actual.keys() == expected.keys()
        for table in expected:
            assert actual[table] == expected[table], table
        assert sum(len(t["checks"]) for t in actual.values()) >= 20
    finally:
        if hasattr(scratch, "close_all"):
            scratch.close_all()
        drop_database(base, url)


def test_upgrade_is_idempotent(app):
    from app.cli import upgrade_database

    assert upgrade_database() == []
