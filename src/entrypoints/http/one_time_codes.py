"""Routes for signing in with a one-time code."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka
from litestar import Request, Response, post
from litestar.params import JSONBody

from application.auth.request_otp import RequestOtp, RequestOtpCommand
from application.auth.verify_otp import VerifyOtp, VerifyOtpCommand
from entrypoints.http.openapi import error_responses
from entrypoints.http.request_context import client_ip_of, request_id_of
from entrypoints.http.schemas import In, Out
from entrypoints.http.sign_in import NO_STORE, TokenOut

TAGS = ["auth"]


class RequestOtpIn(In):
    delivery_method: str
    email: str | None = None
    phone: str | None = None


class AcceptedOut(Out):
    message: str


class VerifyOtpIn(In):
    code: str
    email: str | None = None
    phone: str | None = None


ACCEPTED = AcceptedOut(
    message="If this identity can sign in, a code is on its way. It is valid for 5 minutes."
)


@post("/auth/request-otp", status_code=202, tags=TAGS, responses=error_responses(429, body=True))
async def request_otp(
    request: Request, data: JSONBody[RequestOtpIn], send: FromDishka[RequestOtp]
) -> AcceptedOut:
    """Send a sign-in code by email or WhatsApp. The answer is the same whether or not the
    identity exists and whether or not a limit held the code back."""
    command = RequestOtpCommand(
        email=data.email,
        phone=data.phone,
        delivery_method=data.delivery_method,
        client_ip=client_ip_of(request.scope),
    )
    await send(command)
    return ACCEPTED


@post("/auth/verify-otp", status_code=200, tags=TAGS, responses=error_responses(401, 429, body=True))
async def verify_otp(
    request: Request, data: JSONBody[VerifyOtpIn], verify: FromDishka[VerifyOtp]
) -> Response[TokenOut]:
    """Exchange a code for an access token and a refresh token. A wrong code is 401 OTP_INVALID;
    after 5 wrong guesses the identity is locked: 429 ACCOUNT_LOCKED with Retry-After."""
    command = VerifyOtpCommand(
        email=data.email, phone=data.phone, code=data.code, request_id=request_id_of(request.scope)
    )
    return Response(TokenOut.of(await verify(command)), headers=NO_STORE)


ROUTES = [request_otp, verify_otp]
