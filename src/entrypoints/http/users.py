"""Routes for users and clinic memberships."""

from __future__ import annotations

from dishka.integrations.litestar import FromDishka
from litestar import Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from application.members.add_member import AddMember, AddMemberCommand
from application.members.get_member import GetMember
from application.members.list_members import ListMembers
from application.users.create_user import CreateUser, CreateUserCommand
from application.users.get_user import GetUser
from domain.access import Actor
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid
from entrypoints.http.schemas import MemberIn, MemberListOut, MemberOut, UserIn, UserOut


@post("/users", status_code=201, tags=["users"], responses=error_responses(401, 403, 409, body=True))
async def create_user(
    data: JSONBody[UserIn], actor: FromDishka[Actor], create: FromDishka[CreateUser]
) -> Response[UserOut]:
    """Create a user (super admins and clinic admins); add them to a clinic to give them a role."""
    user = await create(CreateUserCommand(name=data.name, email=data.email, phone=data.phone), actor)
    return Response(UserOut.of(user), status_code=201, headers={"Location": f"/api/v1/users/{user.id}"})


@get("/users/{user_id:str}", tags=["users"], responses=error_responses(400, 401, 404))
async def get_user(user_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetUser]) -> UserOut:
    """One user: yourself, a member of a clinic whose members you may see, or anyone for super admins."""
    return UserOut.of(await read(parse_uuid(user_id, "userId"), actor))


@post(
    "/clinics/{clinic_id:str}/members",
    status_code=201,
    tags=["members"],
    responses=error_responses(401, 403, 404, 409, body=True),
)
async def add_member(
    clinic_id: FromPath[str], data: JSONBody[MemberIn], actor: FromDishka[Actor], add: FromDishka[AddMember]
) -> Response[MemberOut]:
    """Give a user a role in a clinic (its admins and super admins), optionally limited to locations."""
    command = AddMemberCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"),
        user_id=data.user_id,
        role=data.role,
        location_ids=frozenset(data.location_ids),
    )
    membership = await add(command, actor)
    return Response(
        MemberOut.of(membership),
        status_code=201,
        headers={"Location": f"/api/v1/clinics/{membership.clinic_id}/members/{membership.user_id}"},
    )


@get("/clinics/{clinic_id:str}/members", tags=["members"], responses=error_responses(400, 401, 403))
async def list_members(
    clinic_id: FromPath[str],
    actor: FromDishka[Actor],
    list_all: FromDishka[ListMembers],
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> MemberListOut:
    """A clinic's members, for its staff and super admins."""
    cid = parse_uuid(clinic_id, "clinicId")
    scope = f"members:{cid}"
    page = await list_all(cid, page_request(limit, cursor, scope), actor)
    return MemberListOut(items=[MemberOut.of(m) for m in page.items], next_cursor=next_cursor(page, scope))


@get(
    "/clinics/{clinic_id:str}/members/{user_id:str}",
    tags=["members"],
    responses=error_responses(400, 401, 403, 404),
)
async def get_member(
    clinic_id: FromPath[str], user_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetMember]
) -> MemberOut:
    """One member of a clinic, for its staff and super admins."""
    membership = await read(parse_uuid(clinic_id, "clinicId"), parse_uuid(user_id, "userId"), actor)
    return MemberOut.of(membership)


ROUTES = [create_user, get_user, add_member, list_members, get_member]
