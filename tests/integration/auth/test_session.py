"""Staff sign-in through the API (SPEC §9), on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from freight.app import create_app
from freight.deps import get_now
from freight.settings import Settings
from tests.integration.auth.conftest import PASSWORD, sign_in
from tests.integration.conftest import Clock, rr_payload


def _cookie_flags(resp: Any, name: str) -> str:
    cookies: list[str] = resp.headers.get_list("set-cookie")
    return next(c for c in cookies if c.startswith(name + "="))


def test_session_life_cycle(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dana@example.com", name="Dana Desk")
    resp = client.post("/api/v1/session", json={"email": "Dana@Example.com ", "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["user"] == {"email": "dana@example.com", "name": "Dana Desk", "role": "staff"}
    assert body["idle_timeout_seconds"] == 3600
    session_cookie = _cookie_flags(resp, "rrf_session")
    assert "HttpOnly" in session_cookie
    assert "samesite=lax" in session_cookie.lower()
    assert "Secure" not in session_cookie  # not in development
    csrf_cookie = _cookie_flags(resp, "csrf_token")
    assert "HttpOnly" not in csrf_cookie  # the page's script reads it
    assert client.cookies["csrf_token"] == body["csrf_token"]

    me = client.get("/api/v1/session")
    assert me.status_code == 200
    assert me.json()["user"]["name"] == "Dana Desk"
    assert me.json()["csrf_token"] == body["csrf_token"]

    made = client.post(
        "/api/v1/repair-requests", json=rr_payload(), headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert made.status_code == 201, made.text
    detail = client.get(f"/api/v1/repair-requests/{made.json()['rr_number']}").json()
    assert detail["history"][0]["actor"] == "Dana Desk"

    old_cookie = client.cookies["rrf_session"]
    out = client.delete("/api/v1/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    assert "rrf_session" not in client.cookies
    assert client.get("/api/v1/session").status_code == 401
    # The ended session is ended on the server: replaying the old cookie does not work.
    client.cookies.set("rrf_session", old_cookie)
    replay = client.get("/api/v1/repair-requests")
    assert replay.status_code == 401
    assert "sign in again" in replay.json()["detail"]


def test_cookies_are_secure_in_production(
    settings: Settings, make_user: Callable[..., str]
) -> None:
    make_user("dana@example.com")
    prod = settings.model_copy(
        update={"env": "production", "secret_key": "s" * 32, "webhook_token": "w" * 32}
    )
    with TestClient(create_app(prod), base_url="https://testserver") as client:
        resp = client.post(
            "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
        )
    assert resp.status_code == 200
    assert "Secure" in _cookie_flags(resp, "rrf_session")
    assert "Secure" in _cookie_flags(resp, "csrf_token")


def test_cookie_changes_need_the_csrf_header_and_say_so(
    client: TestClient, make_user: Callable[..., str], staff: dict[str, str]
) -> None:
    make_user("dana@example.com")
    sign_in(client, "dana@example.com")
    missing = client.post("/api/v1/repair-requests", json=rr_payload())
    assert missing.status_code == 403
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["errors"][0]["field"] == "X-CSRF-Token"
    assert "X-CSRF-Token header is missing" in missing.json()["detail"]
    wrong = client.post("/api/v1/repair-requests", json=rr_payload(), headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    assert "does not match" in wrong.json()["detail"]
    assert client.get("/api/v1/repair-requests").json()["items"] == []  # nothing was made
    # Reads need no token; bearer-token scripts need none either.
    assert client.get("/api/v1/repair-requests").status_code == 200
    client.cookies.clear()
    assert (
        client.post("/api/v1/repair-requests", json=rr_payload(), headers=staff).status_code == 201
    )
    assert (
        client.post(
            "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )
    signout = client.delete("/api/v1/session")  # sign-out is a change too
    assert signout.status_code == 403
    assert client.get("/api/v1/session").status_code == 200


def test_wrong_password_and_unknown_email_answer_the_same(
    client: TestClient, make_user: Callable[..., str]
) -> None:
    make_user("dana@example.com")
    make_user("eve@example.com")
    timings: dict[str, float] = {}
    answers = {}
    pairs = [("known", "dana@example.com"), ("unknown", "nobody@example.com")]
    pairs += [("known2", "eve@example.com"), ("unknown2", "nobody2@example.com")]
    for label, email in pairs:
        client.post(
            "/api/v1/session", json={"email": email, "password": "not the password"}
        )  # warm
        started = time.perf_counter()
        resp = client.post("/api/v1/session", json={"email": email, "password": "not the password"})
        timings[label] = time.perf_counter() - started
        answers[label] = (resp.status_code, resp.json(), resp.headers["content-type"])
        assert "set-cookie" not in resp.headers
    assert answers["known"] == answers["unknown"]
    assert answers["known"][0] == 401
    assert answers["known"][1]["detail"] == "The email or password is wrong."
    # An unknown email still costs a password check (no fast path that tells them apart).
    known = min(timings["known"], timings["known2"])
    unknown = min(timings["unknown"], timings["unknown2"])
    assert unknown > known * 0.5, timings


def test_five_failures_lock_the_email_for_15_minutes(
    client: TestClient, make_user: Callable[..., str], clock: Clock
) -> None:
    make_user("dana@example.com")
    for _ in range(5):
        resp = client.post(
            "/api/v1/session", json={"email": "dana@example.com", "password": "guess"}
        )
        assert resp.status_code == 401
        clock.now += timedelta(minutes=2)
    assert "locked for 15 minutes" in resp.json()["detail"]
    locked = client.post(
        "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert locked.headers["content-type"] == "application/problem+json"
    assert int(locked.headers["Retry-After"]) == 13 * 60  # 15 min after the 5th, 2 min ago
    assert "try again in 13 minute" in locked.json()["detail"]
    # An unknown email is locked in exactly the same way (no account can be discovered so).
    for _ in range(5):
        client.post("/api/v1/session", json={"email": "ghost@example.com", "password": "guess"})
    ghost = client.post("/api/v1/session", json={"email": "ghost@example.com", "password": "guess"})
    assert ghost.status_code == 429
    clock.now += timedelta(minutes=13)
    assert sign_in(client, "dana@example.com")["user"]["email"] == "dana@example.com"


def test_a_success_resets_the_failure_count(
    client: TestClient, make_user: Callable[..., str]
) -> None:
    make_user("dana@example.com")
    for _ in range(4):
        client.post("/api/v1/session", json={"email": "dana@example.com", "password": "guess"})
    sign_in(client, "dana@example.com")
    for _ in range(4):
        client.post("/api/v1/session", json={"email": "dana@example.com", "password": "guess"})
    sign_in(client, "dana@example.com")


def test_idle_session_times_out_and_activity_keeps_it(
    app: Any, make_user: Callable[..., str], clock: Clock
) -> None:
    make_user("dana@example.com")
    with TestClient(app) as client:
        sign_in(client, "dana@example.com")
        for _ in range(3):  # 3 × 50 minutes of steady use: past the 60-minute idle timeout
            clock.now += timedelta(minutes=50)
            assert client.get("/api/v1/repair-requests").status_code == 200
        clock.now += timedelta(minutes=61)
        idle = client.get("/api/v1/repair-requests")
        assert idle.status_code == 401
        assert "idle too long" in idle.json()["detail"]


def test_the_idle_timeout_is_a_setting(
    settings: Settings, make_user: Callable[..., str], clock: Clock
) -> None:
    make_user("dana@example.com")
    app = create_app(settings.model_copy(update={"session_idle_minutes": 5}))
    app.dependency_overrides[get_now] = clock
    with TestClient(app) as client:
        assert sign_in(client, "dana@example.com")["idle_timeout_seconds"] == 300
        clock.now += timedelta(minutes=5)
        assert client.get("/api/v1/session").status_code == 401


def test_disabling_a_user_ends_their_sessions_and_sign_ins(
    app: Any, make_user: Callable[..., str], settings: Settings, clock: Clock
) -> None:
    from sqlalchemy.orm import sessionmaker

    from freight.auth import accounts
    from freight.db import engine_for

    make_user("dana@example.com")
    with TestClient(app) as client:
        sign_in(client, "dana@example.com")
        with sessionmaker(bind=engine_for(settings.db_url)).begin() as s:
            _, ended = accounts.set_disabled(
                s, email="dana@example.com", disabled=True, actor="test", now=clock.now
            )
        assert ended == 1
        assert client.get("/api/v1/repair-requests").status_code == 401
        again = client.post(
            "/api/v1/session", json={"email": "dana@example.com", "password": PASSWORD}
        )
        assert again.status_code == 401
        assert again.json()["detail"] == "The email or password is wrong."


def test_set_password_link_signs_in_once(
    client: TestClient, make_user: Callable[..., str], clock: Clock
) -> None:
    link = make_user("new@example.com", name="Nia New", password=None)
    assert link.startswith("http://127.0.0.1:8000/set-password#token=")
    token = link.split("#token=")[1]
    # No password yet: signing in fails like any wrong password.
    assert (
        client.post(
            "/api/v1/session", json={"email": "new@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    for weak_password, why in [("short", "at least 12"), ("Password1234", "common")]:
        weak = client.post("/api/v1/set-password", json={"token": token, "password": weak_password})
        assert weak.status_code == 422
        assert weak.json()["errors"][0]["field"] == "password"
        assert why in weak.json()["errors"][0]["message"]
    done = client.post("/api/v1/set-password", json={"token": token, "password": PASSWORD})
    assert done.status_code == 200, done.text
    assert done.json()["user"]["name"] == "Nia New"
    assert client.get("/api/v1/session").json()["user"]["email"] == "new@example.com"
    reused = client.post("/api/v1/set-password", json={"token": token, "password": PASSWORD})
    assert reused.status_code == 404
    assert reused.json()["errors"][0]["field"] == "token"
    late = make_user("late@example.com", password=None).split("#token=")[1]
    clock.now += timedelta(hours=73)
    expired = client.post("/api/v1/set-password", json={"token": late, "password": PASSWORD})
    assert expired.status_code == 404
    assert "expired" in expired.json()["detail"]


def test_roles_on_cookie_sessions(client: TestClient, make_user: Callable[..., str]) -> None:
    make_user("dana@example.com", "staff")
    make_user("felix@example.com", "finance", name="Felix Ledger")
    assert client.get("/api/v1/repair-requests").status_code == 401
    assert client.get("/api/v1/finance/reconciliation").status_code == 401
    sign_in(client, "felix@example.com")
    refused = client.get("/api/v1/repair-requests")
    assert refused.status_code == 403
    assert (
        refused.json()["detail"] == "This call needs the staff role; you are signed in as finance."
    )
    assert client.get("/api/v1/finance/reconciliation").status_code == 200
    assert client.get("/api/v1/audit").status_code == 403
    sign_in(client, "dana@example.com")
    assert client.get("/api/v1/repair-requests").status_code == 200
    assert client.get("/api/v1/finance/reconciliation").status_code == 403


def test_bad_sign_in_bodies_are_422_naming_the_field(client: TestClient) -> None:
    for body, field in [
        ({"password": "x"}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a\x00@example.com", "password": "x"}, "email"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
    ]:
        resp = client.post("/api/v1/session", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.json()["errors"][0]["field"] == field


def test_who_am_i_for_a_bearer_token(client: TestClient, staff: dict[str, str]) -> None:
    me = client.get("/api/v1/session", headers=staff)
    assert me.status_code == 200
    assert me.json()["kind"] == "token"
    assert me.json()["csrf_token"] is None


def test_parallel_guesses_cannot_overrun_the_lockout(
    app: Any, make_user: Callable[..., str]
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    make_user("dana@example.com")
    clients = [TestClient(app) for _ in range(10)]

    def guess(client: TestClient) -> int:
        body = {"email": "dana@example.com", "password": "a guess"}
        return int(client.post("/api/v1/session", json=body).status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(pool.map(guess, clients))
    # Exactly five guesses were checked; every other one met the lock.
    assert statuses == [401] * 5 + [429] * 5
