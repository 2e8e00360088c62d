"""Routes for clinics and their locations."""

from __future__ import annotations

from typing import Annotated

from dishka.integrations.litestar import FromDishka
from litestar import Response, get, patch, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.clinics.get_clinic import GetClinic
from application.clinics.get_location import GetLocation
from application.clinics.list_clinics import ListClinics
from application.clinics.list_locations import ListLocations
from application.clinics.update_clinic import UpdateClinic, UpdateClinicCommand
from domain.access import Actor
from domain.errors import ValidationFailed
from entrypoints.http.openapi import error_responses
from entrypoints.http.params import next_cursor, page_request, parse_uuid
from entrypoints.http.schemas import (
    ClinicIn,
    ClinicListOut,
    ClinicOut,
    ClinicPatchIn,
    LocationIn,
    LocationListOut,
    LocationOut,
)

TAGS = ["clinics"]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header asks for; None when absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ValidationFailed(details={"If-Match": "expected an ETag returned by this API, or *"})
    return int(tag)


@post("/clinics", status_code=201, tags=TAGS, responses=error_responses(401, 403, body=True))
async def create_clinic(
    data: JSONBody[ClinicIn], actor: FromDishka[Actor], create: FromDishka[CreateClinic]
) -> Response[ClinicOut]:
    """Create a clinic (super admins)."""
    clinic = await create(CreateClinicCommand(**{f: getattr(data, f) for f in data.__struct_fields__}), actor)
    return Response(
        ClinicOut.of(clinic),
        status_code=201,
        headers={"Location": f"/api/v1/clinics/{clinic.id}", "ETag": etag(clinic.version)},
    )


@get("/clinics", tags=TAGS, responses=error_responses(400, 401))
async def list_clinics(
    actor: FromDishka[Actor],
    list_all: FromDishka[ListClinics],
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> ClinicListOut:
    """Clinics the caller can see: every clinic for super admins, their own for others."""
    scope = f"clinics:{actor.user_id}"
    page = await list_all(page_request(limit, cursor, scope), actor)
    return ClinicListOut(items=[ClinicOut.of(c) for c in page.items], next_cursor=next_cursor(page, scope))


@get("/clinics/{clinic_id:str}", tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def get_clinic(
    clinic_id: FromPath[str], actor: FromDishka[Actor], read: FromDishka[GetClinic]
) -> Response[ClinicOut]:
    """One clinic, for its members and super admins."""
    clinic = await read(parse_uuid(clinic_id, "clinicId"), actor)
    return Response(ClinicOut.of(clinic), headers={"ETag": etag(clinic.version)})


@patch("/clinics/{clinic_id:str}", tags=TAGS, responses=error_responses(401, 403, 404, 409, body=True))
async def update_clinic(
    clinic_id: FromPath[str],
    data: JSONBody[ClinicPatchIn],
    actor: FromDishka[Actor],
    update: FromDishka[UpdateClinic],
    if_match: Annotated[str | None, HeaderParameter(name="If-Match")] = None,
) -> Response[ClinicOut]:
    """Change a clinic (its admins and super admins). Send the ETag as If-Match to guard the update."""
    fields = {f: getattr(data, f) for f in data.__struct_fields__}
    command = UpdateClinicCommand(
        clinic_id=parse_uuid(clinic_id, "clinicId"), expected_version=expected_version(if_match), **fields
    )
    clinic = await update(command, actor)
    return Response(ClinicOut.of(clinic), headers={"ETag": etag(clinic.version)})


@post(
    "/clinics/{clinic_id:str}/locations",
    status_code=201,
    tags=TAGS,
    responses=error_responses(401, 403, 404, body=True),
)
async def add_location(
    clinic_id: FromPath[str],
    data: JSONBody[LocationIn],
    actor: FromDishka[Actor],
    add: FromDishka[AddLocation],
) -> Response[LocationOut]:
    """Add a location to a clinic (its admins and super admins)."""
    location = await add(
        AddLocationCommand(clinic_id=parse_uuid(clinic_id, "clinicId"), name=data.name, address=data.address),
        actor,
    )
    return Response(
        LocationOut.of(location),
        status_code=201,
        headers={"Location": f"/api/v1/clinics/{location.clinic_id}/locations/{location.id}"},
    )


@get("/clinics/{clinic_id:str}/locations", tags=TAGS, responses=error_responses(400, 401, 403, 404))
async def list_locations(
    clinic_id: FromPath[str],
    actor: FromDishka[Actor],
    list_all: FromDishka[ListLocations],
    limit: FromQuery[int | None] = None,
    cursor: FromQuery[str | None] = None,
) -> LocationListOut:
    """A clinic's locations, for its members and super admins."""
    cid = parse_uuid(clinic_id, "clinicId")
    scope = f"locations:{cid}"
    page = await list_all(cid, page_request(limit, cursor, scope), actor)
    return LocationListOut(
        items=[LocationOut.of(loc) for loc in page.items], next_cursor=next_cursor(page, scope)
    )


@get(
    "/clinics/{clinic_id:str}/locations/{location_id:str}",
    tags=TAGS,
    responses=error_responses(400, 401, 403, 404),
)
async def get_location(
    clinic_id: FromPath[str],
    location_id: FromPath[str],
    actor: FromDishka[Actor],
    read: FromDishka[GetLocation],
) -> LocationOut:
    """One location of a clinic, for its members and super admins."""
    location = await read(parse_uuid(clinic_id, "clinicId"), parse_uuid(location_id, "locationId"), actor)
    return LocationOut.of(location)


ROUTES = [create_clinic, list_clinics, get_clinic, update_clinic, add_location, list_locations, get_location]
