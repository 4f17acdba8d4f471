"""Sign-in routes: the session cookie and who is signed in (SPEC §9). Thin."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from freight.auth import accounts
from freight.auth.rules import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_problem
from freight.auth.schemas import SessionOut, SetPasswordIn, SignInIn, UserOut
from freight.auth.service import Principal, SignedIn, end_session, session_principal
from freight.deps import CsrfError, NowDep, PrincipalDep, SessionDep, SettingsDep
from freight.errors import AppError, ForbiddenError
from freight.logs import current_context
from freight.schemas import problem_responses
from freight.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["sign-in"])
_BODY = {
    400: "The body is not valid JSON",
    413: "The body is too large",
    422: "A field is missing, too long or has control characters (errors name it)",
}
_SIGN_IN_RESPONSES = problem_responses(
    {
        **_BODY,
        401: "Wrong email or password (one answer for both)",
        429: "5 failed sign-ins in 15 minutes: the email is locked for 15 minutes",
    }
)


@router.post("/session", response_model=SessionOut, responses=_SIGN_IN_RESPONSES)
def sign_in(body: SignInIn, session: SessionDep, settings: SettingsDep, now: NowDep) -> Response:
    """Sign in with email and password: sets the session cookie and answers the CSRF token."""
    result = accounts.sign_in(
        session, email=body.email, password=body.password, now=now, settings=settings,
        request_id=current_context().get("request_id"),
    )  # fmt: skip
    return _signed_in(result, settings)


@router.post(
    "/set-password",
    response_model=SessionOut,
    responses=problem_responses(
        {
            **_BODY,
            404: "The link is not valid, was used already or has expired",
            422: "The password is refused (errors name the field)",
        }
    ),
)
def set_password(
    body: SetPasswordIn, session: SessionDep, settings: SettingsDep, now: NowDep
) -> Response:
    """Set a password with the one-time link from `freight users create`; signs in."""
    result = accounts.set_password(
        session, token=body.token, password=body.password, now=now, settings=settings
    )
    return _signed_in(result, settings)


@router.get(
    "/session",
    response_model=SessionOut,
    responses=problem_responses(
        {
            401: "Not signed in, or the session has ended",
            403: "A customer tracking token has no staff session",
        }
    ),
)
def who_am_i(who: PrincipalDep, settings: SettingsDep) -> SessionOut:
    """Who is signed in (or which API token is calling)."""
    if not who.staff_side:
        raise ForbiddenError("A customer tracking token has no staff session.")
    return _session_out(who, settings)


@router.delete(
    "/session",
    status_code=204,
    responses=problem_responses({403: "Signed in, but X-CSRF-Token is missing or wrong"}),
)
def sign_out(request: Request, session: SessionDep, settings: SettingsDep, now: NowDep) -> Response:
    """Sign out: the session ends on the server and both cookies are cleared. Idempotent."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        who = session_principal(session, session_id=session_id, now=now, settings=settings)
        if who is not None:
            request.state.principal = who  # audited as the user's sign-out
            problem = csrf_problem(
                method="DELETE",
                sent=request.headers.get(CSRF_HEADER),
                expected=who.csrf_token or "",
            )
            if problem is not None:
                raise CsrfError(problem)
            end_session(session, session_id=session_id, now=now)
    response = Response(status_code=204)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=_secure(settings), samesite="lax")
    return response


def _signed_in(result: SignedIn | AppError, settings: Settings) -> Response:
    if isinstance(result, AppError):
        from freight.app import app_error_response  # the one problem+json renderer

        return app_error_response(result)
    who = Principal(
        kind="user", name=result.user.name, role=result.user.role, email=result.user.email,
        csrf_token=result.csrf_token, session_expires_at=result.expires_at,
    )  # fmt: skip
    response = JSONResponse(_session_out(who, settings).model_dump(mode="json"))
    secure = _secure(settings)
    response.set_cookie(
        SESSION_COOKIE, result.session_id, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(
        CSRF_COOKIE, result.csrf_token, httponly=False, samesite="lax", secure=secure, path="/"
    )
    return response


def _session_out(who: Principal, settings: Settings) -> SessionOut:
    user = UserOut(email=who.email, name=who.name, role=who.role)
    cookie = who.kind == "user"
    return SessionOut(
        kind="user" if cookie else "token", user=user, csrf_token=who.csrf_token,
        expires_at=who.session_expires_at,
        idle_timeout_seconds=settings.session_idle_minutes * 60 if cookie else None,
    )  # fmt: skip


def _secure(settings: Settings) -> bool:
    return settings.env == "production"
