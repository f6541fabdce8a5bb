"""Per-account lockout: 10 failed passwords within 15 minutes, from any addresses, lock the
account for 15 minutes on the API and the console alike; every attempt is audited; an admin can
unlock."""

from app.auth.models import LoginAttempt
from devkit.testing.clients import ADMIN, PASSWORD, Console, staff_headers


def api_login(client, password, address):
    return client.post(
        f"{ADMIN}/auth/login",
        json={"username": "cs1", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_ten_failures_from_many_addresses_lock_the_account_everywhere(client, co, app):
    for i in range(9):
        assert api_login(client, "wrong-password", f"10.0.0.{i}").status_code == 401
    console = Console(app.test_client())
    assert console.login("cs1", "wrong-again").status_code == 401  # the 10th, on the console
    locked = api_login(client, PASSWORD, "10.0.1.1")  # even the right password now
    assert (locked.status_code, locked.get_json()["error"]["code"]) == (429, "account_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    on_console = console.login("cs1")
    assert on_console.status_code == 429 and "Retry-After" in on_console.headers
    attempts = LoginAttempt.select().where(LoginAttempt.username == "cs1")
    assert attempts.count() == 12
    assert {a.surface for a in attempts} == {"api", "console"}
    assert not any(a.succeeded for a in attempts)
    assert {a.address for a in attempts} >= {"10.0.0.0", "10.0.0.8", "10.0.1.1"}


def test_an_admin_unlocks_and_other_accounts_are_untouched(client, co):
    for i in range(10):
        api_login(client, "wrong-password", f"10.0.0.{i}")
    assert api_login(client, PASSWORD, "10.0.2.1").status_code == 429
    assert (
        client.post(
            f"{ADMIN}/auth/login", json={"username": "fin1", "password": PASSWORD}
        ).status_code
        == 200
    )
    unlocked = client.post(
        f"{ADMIN}/staff/{co.staff['cs'].id}/unlock", headers=staff_headers(co.staff["admin"])
    )
    assert unlocked.status_code == 200 and unlocked.get_json()["locked_until"] is None
    assert api_login(client, PASSWORD, "10.0.2.1").status_code == 200
    # Earlier failures no longer count: one more miss does not lock again.
    assert api_login(client, "wrong-password", "10.0.0.1").status_code == 401
    assert api_login(client, PASSWORD, "10.0.2.1").status_code == 200


def test_nine_failures_do_not_lock(client, co):
    for i in range(9):
        api_login(client, "wrong-password", f"10.0.0.{i}")
    assert api_login(client, PASSWORD, "10.0.0.1").status_code == 200
