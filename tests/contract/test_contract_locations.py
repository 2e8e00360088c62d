"""LocationRepository contract: every read is scoped by clinic."""

from __future__ import annotations


async def _clinics_with_locations(units, build, per_clinic: int):
    unit = units()
    clinics = [build.clinic(), build.clinic()]
    locations = {c.id: [build.location(c) for _ in range(per_clinic)] for c in clinics}
    for clinic in clinics:
        await unit.clinics.add(clinic)
        for location in locations[clinic.id]:
            await unit.locations.add(location)
    await unit.uow.commit()
    return clinics, locations


async def test_a_location_is_found_under_its_clinic_only(units, build):
    (home, other), locations = await _clinics_with_locations(units, build, 1)
    location = locations[home.id][0]
    reader = units().locations

    assert await reader.get(home.id, location.id) == location
    assert await reader.get(other.id, location.id) is None
    assert await reader.get(home.id, build.id()) is None


async def test_existing_ids_keeps_only_this_clinics_locations(units, build):
    (home, other), locations = await _clinics_with_locations(units, build, 2)
    mine = {loc.id for loc in locations[home.id]}
    theirs = {loc.id for loc in locations[other.id]}
    reader = units().locations

    assert await reader.existing_ids(home.id, mine | theirs | {build.id()}) == mine
    assert await reader.existing_ids(other.id, mine) == frozenset()
    assert await reader.existing_ids(home.id, []) == frozenset()


async def test_list_pages_one_clinics_locations_by_id(units, build):
    (home, _other), locations = await _clinics_with_locations(units, build, 3)
    ids = sorted(loc.id for loc in locations[home.id])
    reader = units().locations

    first = await reader.list(home.id, after=None, limit=2)
    rest = await reader.list(home.id, after=first[-1].id, limit=2)

    assert [loc.id for loc in first + rest] == ids
    assert all(loc.clinic_id == home.id for loc in first + rest)
    assert await reader.list(build.id(), after=None, limit=10) == []
