"""prod-check's stack listens on ports it draws at random: never the same one twice."""

from devkit.prodcheck import stack


def test_the_ports_drawn_for_the_stack_are_distinct(monkeypatch):
    drawn = iter([25001, 25002, 25001, 25003])
    monkeypatch.setattr(stack, "_unused_port", lambda: next(drawn))
    assert stack._unused_ports(3) == [25001, 25002, 25003]
