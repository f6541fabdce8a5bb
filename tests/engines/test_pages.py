"""One perform() for every page form (console and H5): POST, redirect, and say how it went."""

from flask import get_flashed_messages

from app.errors import ValidationFailed
from app.pages import perform


def run(app, action, *args, **kwargs):
    with app.test_request_context("/", method="POST"):
        response = perform(action, *args, **kwargs)
        return response.status_code, response.location, get_flashed_messages(with_categories=True)


def fail():
    raise ValidationFailed("请填写驳回原因")


def test_success_says_the_given_message_and_goes_back(app):
    assert run(app, lambda: None, "订单已驳回", "/h5/orders/1") == (
        302,
        "/h5/orders/1",
        [("success", "订单已驳回")],
    )


def test_a_message_the_action_returns_wins_and_then_chooses_the_next_page(app):
    status, location, flashed = run(
        app, lambda: "已签字", "", "/back", then=lambda result: f"/next/{len(result)}", code=303
    )
    assert (status, location, flashed) == (303, "/next/3", [("success", "已签字")])


def test_a_refused_action_says_why_in_words_and_returns_to_the_form(app):
    assert run(app, fail, "不会显示", "/form", then=lambda _: "/elsewhere") == (
        302,
        "/form",
        [("error", "请填写驳回原因")],
    )
    assert run(app, fail, "", "/form", describe=lambda exc: f"无法驳回：{exc.message}")[2] == [
        ("error", "无法驳回：请填写驳回原因")
    ]


def test_an_empty_message_is_not_shown(app):
    assert run(app, lambda: None, "", "/pay") == (302, "/pay", [])
