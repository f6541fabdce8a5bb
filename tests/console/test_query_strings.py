"""A console page opened with parameters it does not name (a tracking tag on a shared link, an
old bookmark's) answers as it would without them: it ignores them rather than refusing the
page; parameters it names are still checked."""

from __future__ import annotations


def _console_pages(app) -> list[str]:
    """Every console page (GET) whose address takes no arguments, but signing out."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.")
        and "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.endswith(("/logout", "/login"))
    )


def test_every_console_page_ignores_parameters_it_does_not_name(app, signed_in, co):
    admin = signed_in("admin")
    pages = _console_pages(app)
    assert "/admin/orders" in pages and "/admin/payments" in pages and len(pages) > 20
    changed = {}
    for path in pages:
        plain = admin.get(path).status_code
        tagged = admin.get(path, query_string={"utm_source": "wechat", "from_share": "1"})
        if tagged.status_code != plain:
            changed[path] = (plain, tagged.status_code)
    assert changed == {}


def test_a_parameter_a_page_names_is_still_checked(signed_in, co):
    page = signed_in("admin").get("/admin/orders", query_string={"status": "bogus"})
    assert page.status_code == 422
