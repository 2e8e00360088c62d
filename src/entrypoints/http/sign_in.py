"""Routes for sessions: refresh, logout, and who the caller is."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka
from litestar import Request, Response, get, post
from litestar.params import JSONBody

from application.auth.log_out import LogOut
from application.auth.refresh_session import RefreshSession
from application.auth.session_tokens import TokenPair
from application.auth.who_am_i import WhoAmI
from domain.access import Actor
from entrypoints.http.openapi import error_responses
from entrypoints.http.request_context import request_id_of
from entrypoints.http.schemas import In, MemberOut, Out, UserOut

TAGS = ["auth"]


class RefreshIn(In):
    refresh_token: str


class TokenOut(Out):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int

    @classmethod
    def of(cls, pair: TokenPair) -> TokenOut:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type=pair.token_type,
            expires_in=pair.expires_in,
        )


class MeOut(Out):
    user: UserOut
    memberships: list[MemberOut]


# Tokens must never be cached by a browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


@post("/auth/refresh", status_code=200, tags=TAGS, responses=error_responses(401, body=True))
async def refresh(
    request: Request, data: JSONBody[RefreshIn], exchange: FromDishka[RefreshSession]
) -> Response[TokenOut]:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    pair = await exchange(data.refresh_token, request_id=request_id_of(request.scope))
    return Response(TokenOut.of(pair), headers=NO_STORE)


@post("/auth/logout", status_code=204, tags=TAGS, responses=error_responses(401))
async def logout(actor: FromDishka[Actor], log_out: FromDishka[LogOut]) -> None:
    """End the caller's session: its tokens are refused from the next request on."""
    await log_out(actor)


@get("/auth/me", tags=TAGS, responses=error_responses(401))
async def me(actor: FromDishka[Actor], who: FromDishka[WhoAmI]) -> MeOut:
    """The caller's user and clinic memberships."""
    found = await who(actor)
    return MeOut(user=UserOut.of(found.user), memberships=[MemberOut.of(m) for m in found.memberships])


ROUTES = [refresh, logout, me]
