"""Console sessions live on the server: signing out, disabling an account or changing its
password ends them at once, for every copy of the cookie; staff API tokens are revocable too."""

from app.auth.services import set_active
from app.web_sessions import session_key
from devkit.testing.clients import ADMIN, PASSWORD, Console, flashes

COOKIE = "dm_console"


def cookie_of(console: Console) -> str:
    return console.client.get_cookie(COOKIE).value


def with_cookie(app, value: str) -> Console:
    """Another browser holding a copied cookie."""
    thief = Console(app.test_client())
    thief.client.set_cookie(COOKIE, value)
    return thief


def test_the_cookie_holds_only_an_id_and_the_session_lives_on_the_server(console, co, app):
    console.login("cs1")
    value = cookie_of(console)
    assert "." not in value and "staff" not in value  # no signed payload, just a random id
    assert app.session_interface.store.load(session_key(value))["staff_id"] == co.staff["cs"].id
    assert with_cookie(app, value).get("/admin/review").status_code == 200


def test_a_copied_cookie_stops_working_at_logout(console, co, app):
    console.login("cs1")
    copied = cookie_of(console)
    console.post("/admin/logout")
    thief = with_cookie(app, copied)
    assert thief.get("/admin/review").status_code == 302
    thief.token = "x"
    posted = thief.post("/admin/announcements", {"title": "伪造", "body": "x"}, follow=False)
    assert posted.status_code in (302, 400)  # signed out (or CSRF refused): nothing posted


def test_a_new_session_id_is_issued_at_sign_in(console, co):
    console.get("/admin/login")
    before = cookie_of(console)
    console.login("cs1")
    assert cookie_of(console) != before


def test_disabling_and_re_enabling_end_every_session_and_token(console, co, app, client):
    console.login("cs1")
    token = client.post(
        f"{ADMIN}/auth/login", json={"username": "cs1", "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{ADMIN}/orders", headers=headers).status_code == 200
    set_active(co.staff["cs"].id, False, co.staff["admin"])
    set_active(co.staff["cs"].id, True, co.staff["admin"])
    assert console.get("/admin/review").status_code == 302
    assert client.get(f"{ADMIN}/orders", headers=headers).status_code == 401


def test_a_password_change_ends_every_session_and_token(console, co, app, client):
    console.login("cs1")
    other_browser = Console(app.test_client())
    other_browser.login("cs1")
    old_token = client.post(
        f"{ADMIN}/auth/login", json={"username": "cs1", "password": PASSWORD}
    ).get_json()["token"]
    wrong = console.post(
        "/admin/password", {"current_password": "nope-nope", "new_password": "new-horse-22"}
    )
    assert wrong.status_code == 401 and ("error", "当前密码不正确") in flashes(wrong)
    changed = console.post(
        "/admin/password", {"current_password": PASSWORD, "new_password": "new-horse-22"}
    )
    assert ("success", "密码已修改，请用新密码重新登录") in flashes(changed)
    assert other_browser.get("/admin/review").status_code == 302
    old = {"Authorization": f"Bearer {old_token}"}
    assert client.get(f"{ADMIN}/orders", headers=old).status_code == 401
    assert console.login("cs1").status_code == 401
    assert console.login("cs1", "new-horse-22").status_code == 302


def test_the_api_changes_a_password_and_revokes_its_own_token(co, client):
    token = client.post(
        f"{ADMIN}/auth/login", json={"username": "wh1", "password": PASSWORD}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"current_password": PASSWORD, "new_password": "new-horse-33"}
    assert client.post(f"{ADMIN}/auth/password", json=body, headers=headers).status_code == 200
    assert client.get(f"{ADMIN}/orders", headers=headers).status_code == 401
    again = client.post(f"{ADMIN}/auth/login", json={"username": "wh1", "password": "new-horse-33"})
    assert again.status_code == 200


def test_api_docs_can_be_kept_for_signed_in_staff(console, co, app, client):
    assert client.get("/api/openapi.json").status_code == 200  # public in development and tests
    app.config["API_DOCS_PUBLIC"] = False  # the production default
    try:
        anonymous = client.get("/api/openapi.json")
        assert (anonymous.status_code, anonymous.get_json()["error"]["code"]) == (
            401,
            "unauthorized",
        )
        docs = client.get("/api/docs")
        assert docs.status_code == 302 and "/admin/login" in docs.location
        token = client.post(
            f"{ADMIN}/auth/login", json={"username": "cs1", "password": PASSWORD}
        ).get_json()["token"]
        with_token = client.get("/api/openapi.json", headers={"Authorization": f"Bearer {token}"})
        assert with_token.status_code == 200 and "paths" in with_token.get_json()
        console.login("cs1")
        assert console.get("/api/openapi.json").status_code == 200
        assert console.get("/api/docs").status_code == 200
    finally:
        app.config["API_DOCS_PUBLIC"] = True
