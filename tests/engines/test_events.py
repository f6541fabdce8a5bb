"""Domain events: one handler table, and an event nobody handles fails loudly."""

import dataclasses

import pytest

from app import bootstrap, events


@dataclasses.dataclass(frozen=True)
class SomethingNobodyHandles:
    pass


def test_an_event_with_no_registered_handlers_raises(app):
    with pytest.raises(events.UnhandledEvent, match="SomethingNobodyHandles"):
        events.emit(SomethingNobodyHandles())


def test_an_order_event_before_set_up_raises_instead_of_losing_its_notifications(app):
    try:
        events.install({})  # as a process that never ran bootstrap sees it
        with pytest.raises(events.UnhandledEvent, match="OrderChanged"):
            events.emit(events.OrderChanged(order=None, event=None))
    finally:
        events.install(bootstrap.HANDLERS)


def test_every_event_the_domain_defines_has_its_handlers_in_the_one_table():
    defined = {
        value
        for value in vars(events).values()
        if dataclasses.is_dataclass(value) and value.__module__ == events.__name__
    }
    assert defined == set(bootstrap.HANDLERS)
    assert all(bootstrap.HANDLERS[event_type] for event_type in defined)


def test_no_module_keeps_a_listener_list():
    import pathlib

    root = pathlib.Path(bootstrap.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "listeners" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_the_domain_imports_without_flask_and_creates_no_file(tmp_path):
    import os
    import subprocess
    import sys

    from devkit.servers import ROOT

    domain = "app.core.rules, app.core.orders, app.approval.services, app.outbox, app.events"
    code = (
        f"import sys, {domain};"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'flask_wtf')];"
        "assert not loaded, loaded"
    )
    env = {**os.environ, "INSTANCE_DIR": str(tmp_path / "instance")}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)
    assert not (tmp_path / "instance").exists()
