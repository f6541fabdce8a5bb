"""Flask CLI: db-upgrade, db-status, backup, restore, create-staff, seed-demo, tell-sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask
from playhouse.migrations import Runner

from app import backups
from app.db import db
from app.errors import AppError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def migration_runner() -> Runner:
    return Runner(db.obj, directory=str(MIGRATIONS_DIR))


def upgrade_database() -> list[str]:
    """Apply every pending migration; returns their names."""
    with db.connection_context():
        return migration_runner().up()


def _direct_database_url(app: Flask) -> str:
    """PostgreSQL itself rather than PgBouncer (pg_dump needs a session of its own)."""
    return app.config.get("DIRECT_DATABASE_URL") or app.config["DATABASE_URL"]


def register_commands(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    def db_upgrade():
        """Apply pending schema migrations."""
        applied = upgrade_database()
        click.echo("\n".join(f"applied: {name}" for name in applied) or "database is up to date")

    @app.cli.command("db-status")
    def db_status():
        """List migrations and whether each is applied."""
        with db.connection_context():
            for m in migration_runner().status():
                click.echo(f"[{'x' if m.applied else ' '}] {m.name}")

    @app.cli.command("backup")
    @click.option(
        "--to",
        "to",
        type=click.Path(dir_okay=False, path_type=Path),
        help="file to write (default: instance/backups/<time>.dump or .sqlite3)",
    )
    def backup_command(to):
        """Back up the whole database: pg_dump's custom format, or SQLite's online backup."""
        url = _direct_database_url(app)
        if to is None:
            suffix = "sqlite3" if url.startswith("sqlite") else "dump"
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
            to = Path(app.config["INSTANCE_DIR"]) / "backups" / f"dealer_mall-{stamp}.{suffix}"
        try:
            written = backups.backup(url, to)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"backup written: {written} ({written.stat().st_size} bytes)")

    @app.cli.command("restore")
    @click.argument("backup_file", type=click.Path(dir_okay=False, path_type=Path))
    @click.option(
        "--into",
        "into",
        help="database URL to restore into (default: the configured "
        "database, DIRECT_DATABASE_URL or DATABASE_URL); it must be empty",
    )
    def restore_command(backup_file, into):
        """Restore a backup made by `flask backup` into an empty database."""
        url = into or _direct_database_url(app)
        try:
            backups.restore(backup_file, url)
        except backups.BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"restored {backup_file}")

    @app.cli.command("create-staff")
    @click.option("--username", required=True)
    @click.option("--password", required=True, prompt=True, hide_input=True)
    @click.option("--role", required=True)
    @click.option("--branch", "branch_code", help="branch code, for branch-scoped staff")
    @click.option("--name", default="")
    @click.option("--scope", "data_scope", type=click.Choice(["all", "branch", "own"]))
    def create_staff_command(username, password, role, branch_code, name, data_scope):
        """Create a staff account (admin, customer_service, branch_manager, ...)."""
        from app.auth.services import create_staff
        from app.core.models import Branch

        with db.connection_context():
            branch_id = None
            if branch_code:
                branch = Branch.get_or_none(Branch.code == branch_code)
                if branch is None:
                    raise click.ClickException(f"no branch with code {branch_code!r}")
                branch_id = branch.id
            try:
                staff = create_staff(
                    username, password, role, name=name, branch_id=branch_id, data_scope=data_scope
                )
            except AppError as exc:
                raise click.ClickException(f"{exc.message} {exc.details}") from None
        click.echo(f"created staff {staff.username} ({staff.role}, scope {staff.data_scope})")

    @app.cli.command("apply-prepayments")
    def apply_prepayments_command():
        """Once after upgrading: money paid for orders cancelled or rejected before prepayments
        paid receivables by themselves pays each dealer's oldest open receivables now."""
        from app.core.receivables import apply_free_prepayments
        from app.money import written

        with db.connection_context():
            paid = apply_free_prepayments()
        for customer_id, amount in paid.items():
            click.echo(f"customer {customer_id}: {written(amount)} of prepayments paid receivables")
        click.echo(f"{len(paid)} customers' prepayments applied")

    @app.cli.command("tell-sandbox")
    @click.option("--wait", default=20.0, help="seconds to wait for the sandbox to answer")
    def tell_sandbox_command(wait):
        """Development only: tell the sandbox (empty after each start) of the listings, platform
        orders, waybills and WeChat Pay payments the database has, so write-backs, stock pushes
        and refunds go through and no tracking number is issued twice."""
        import time

        import requests

        from app.adapters.wechatpay import wechat_pay
        from devkit.demo import tell_sandbox

        if app.config["ENV_NAME"] == "production":
            raise click.ClickException("tell-sandbox is for development: the sandbox is not here")
        shops_url = app.config.get("SHOP_API_BASE_URL")
        if not shops_url:
            raise click.ClickException("SHOP_API_BASE_URL does not name the sandbox")
        pay_url = app.config["WECHATPAY_BASE_URL"] if wechat_pay.gateway.configured else None
        deadline = time.monotonic() + wait
        while True:  # make run starts the sandbox beside this command
            try:
                requests.get(f"{shops_url}/_sandbox/stats", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise click.ClickException(
                        f"the sandbox at {shops_url} does not answer"
                    ) from None
                time.sleep(0.2)
        with db.connection_context():
            learnt = tell_sandbox(shops_url, pay_url)
        click.echo(
            f"sandbox told of {learnt['listings']} listings, {learnt['orders']} platform orders,"
            f" {learnt['waybills']} waybills, {learnt['payments']} payments"
        )

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="do nothing when the database has customers")
    def seed_demo_command(if_empty):
        """Load a believable demo: branches, warehouses, catalogue, customers, stock, staff, orders."""
        from devkit.demo import demo_invitations, demo_logins, seed_demo

        with db.connection_context():
            created = seed_demo(if_empty=if_empty)
        click.echo("demo data loaded" if created else "database already has data; seed skipped")
        logins = demo_logins()
        if logins:
            port = app.config.get("PORT", 5000)
            click.echo(f"demo logins (admin console http://127.0.0.1:{port}/admin, admin API):")
            for username, password, role in logins:
                click.echo(f"  {username:<12} {password}  ({role})")
        invitations = demo_invitations()
        if invitations:
            click.echo("demo invitation codes (POST /api/mp/v1/auth/bind after logging in):")
            for code, who in invitations:
                click.echo(f"  {code}  {who}")
