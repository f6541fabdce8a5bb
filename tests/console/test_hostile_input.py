"""Text a database cannot store, in console forms and admin API queries: a 4xx, never a 500."""

from devkit.testing.clients import ADMIN, staff_headers


def test_nul_in_a_console_search_is_refused(signed_in):
    page = signed_in("admin").get("/admin/customers?q=%00")
    assert page.status_code == 422


def test_nul_in_an_admin_api_query_is_refused(client, co):
    r = client.get(
        f"{ADMIN}/customers", query_string={"q": "\x00"}, headers=staff_headers(co.staff["admin"])
    )
    assert r.status_code == 422
