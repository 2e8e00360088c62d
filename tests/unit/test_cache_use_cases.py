"""Cached query use cases over the memory adapters: hits, access checked on cached objects,
writes dropping what they touched after commit, the decorator's keys, detached refreshes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

import pytest
from memory_world import World, member_of, super_admin

from adapters.cache.local import MemoryCache
from adapters.memory.repositories import InMemoryClinicRepository, InMemoryLocationRepository
from adapters.memory.uow import InMemoryUnitOfWork
from application.audit.denials import DeniedAttempts
from application.auditing import AuditEntries
from application.caching import CacheInvalidator, NoCache, QueryCache, cached, tags_written
from application.clinics.add_location import AddLocation, AddLocationCommand
from application.clinics.create_clinic import CreateClinic, CreateClinicCommand
from application.clinics.get_clinic import GetClinic
from application.clinics.get_location import GetLocation
from application.clinics.list_locations import ListLocations
from application.clinics.update_clinic import UpdateClinic, UpdateClinicCommand
from application.pagination import PageRequest
from application.ports.cache import DetachedReads
from application.ports.uow import CommitListeners
from cache_support import ManualTime, wait_until
from domain.access import Actor
from domain.audit import AuditEntry, Outcome
from domain.clinics import Clinic, ClinicLocation
from domain.errors import ClinicAccessDenied, LocationNotFound
from domain.identity import Role


@dataclass
class Cached:
    """A world whose units tell the cache what they wrote, as the container wires it."""

    world: World
    time: ManualTime
    cache: MemoryCache

    @property
    def query_cache(self) -> QueryCache:
        return QueryCache(self.cache)

    @property
    def admin(self) -> Actor:
        return super_admin(self.world.ids)

    def audit(self) -> AuditEntries:
        return AuditEntries(self.world.clock, self.world.ids)

    def unit(self) -> InMemoryUnitOfWork:
        listeners = CommitListeners((CacheInvalidator(self.cache),))
        return InMemoryUnitOfWork(self.world.store, listeners, audit=self.audit())

    def get_clinic(self) -> GetClinic:
        uow = self.unit()
        return GetClinic(InMemoryClinicRepository(uow), DeniedAttempts(uow, self.audit()), self.query_cache)

    def get_location(self) -> GetLocation:
        uow = self.unit()
        return GetLocation(
            InMemoryLocationRepository(uow), DeniedAttempts(uow, self.audit()), self.query_cache
        )

    def list_locations(self) -> ListLocations:
        uow = self.unit()
        repositories = InMemoryClinicRepository(uow), InMemoryLocationRepository(uow)
        return ListLocations(*repositories, DeniedAttempts(uow, self.audit()), self.query_cache)

    async def new_clinic(self, name: str = "North") -> Clinic:
        uow = self.unit()
        create = CreateClinic(
            InMemoryClinicRepository(uow), uow, self.world.clock, self.world.ids, self.audit()
        )
        return await create(CreateClinicCommand(name=name, time_zone="UTC"), self.admin)

    async def rename(self, clinic: Clinic, name: str, actor: Actor) -> None:
        uow = self.unit()
        update = UpdateClinic(InMemoryClinicRepository(uow), uow, self.world.clock, self.audit())
        await update(UpdateClinicCommand(clinic_id=clinic.id, name=name), actor)

    async def add_location(self, clinic: Clinic, name: str) -> ClinicLocation:
        uow = self.unit()
        repositories = InMemoryClinicRepository(uow), InMemoryLocationRepository(uow)
        add = AddLocation(*repositories, uow, self.world.clock, self.world.ids, self.audit())
        return await add(AddLocationCommand(clinic_id=clinic.id, name=name, address="1 Quay"), self.admin)


@pytest.fixture
def cached_world(world: World) -> Cached:
    time = ManualTime()
    return Cached(world, time, MemoryCache(clock=time, monotonic=time))


async def test_a_read_is_cached_until_a_write_to_it_commits(cached_world: Cached) -> None:
    clinic = await cached_world.new_clinic()
    admin = member_of(clinic.id, Role.CLINIC_ADMIN, cached_world.world.ids)
    assert (await cached_world.get_clinic()(clinic.id, admin)).name == "North"
    assert (await cached_world.get_clinic()(clinic.id, admin)).name == "North"
    assert cached_world.cache.stats().l1_hits == 1 and cached_world.cache.stats().loader_calls == 1
    await cached_world.rename(clinic, "North Renamed", admin)
    assert (await cached_world.get_clinic()(clinic.id, admin)).name == "North Renamed"


async def test_access_is_checked_on_the_cached_object_every_time(cached_world: Cached) -> None:
    clinic = await cached_world.new_clinic()
    other = await cached_world.new_clinic("South")
    outsider = member_of(other.id, Role.CLINIC_ADMIN, cached_world.world.ids)
    await cached_world.get_clinic()(clinic.id, cached_world.admin)  # now cached
    with pytest.raises(ClinicAccessDenied):
        await cached_world.get_clinic()(clinic.id, outsider)
    location = await cached_world.add_location(clinic, "Quay")
    get_location = cached_world.get_location()
    assert (await get_location(clinic.id, location.id, cached_world.admin)).name == "Quay"
    with pytest.raises(LocationNotFound):
        await get_location(clinic.id, location.id, outsider)
    with pytest.raises(LocationNotFound):  # a location of the clinic, asked under another clinic
        await get_location(other.id, location.id, cached_world.admin)


async def test_a_new_location_drops_the_cached_pages_of_its_clinic(cached_world: Cached) -> None:
    clinic = await cached_world.new_clinic()
    member = member_of(clinic.id, Role.DOCTOR, cached_world.world.ids)
    assert (await cached_world.list_locations()(clinic.id, PageRequest(limit=10), member)).items == []
    assert (await cached_world.list_locations()(clinic.id, PageRequest(limit=10), member)).items == []
    await cached_world.add_location(clinic, "Quay")
    page = await cached_world.list_locations()(clinic.id, PageRequest(limit=10), member)
    assert [location.name for location in page.items] == ["Quay"]


def _entry(
    kind: str, rid: object, clinic: UUID | None, *, action: str = "WRITE", outcome: Outcome = Outcome.SUCCESS
) -> AuditEntry:
    from datetime import UTC, datetime

    return AuditEntry(
        id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        actor_id=None,
        action=action,
        resource_type=kind,
        resource_id=str(rid),
        clinic_id=clinic,
        request_id=None,
        outcome=outcome,
    )


def test_audit_entries_name_the_tags_of_what_was_written() -> None:
    c, u, loc = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [
        _entry("clinic", c, c),
        _entry("location", loc, c),
        _entry("user", u, None),
        _entry("membership", u, c),
        _entry("consent", uuid.uuid4(), c),
        _entry("clinic", uuid.uuid4(), None, outcome=Outcome.DENIED),
        _entry("membership", uuid.uuid4(), c, action="VIEW_MEMBER"),
        _entry("clinic", c, c),
    ]
    assert tags_written(entries) == (
        f"clinic:{c}",
        f"location:{loc}",
        f"locations:{c}",
        f"user:{u}",
        f"memberships:{u}",
        f"members:{c}",
    )


async def test_the_invalidator_never_raises_after_a_commit() -> None:
    class Broken(NoCache):
        async def invalidate_tags(self, *tags: str) -> None:
            raise ConnectionError("cache down")

    c = uuid.uuid4()
    await CacheInvalidator(Broken()).committed([_entry("clinic", c, c)])


class Directory:
    """A query use case of the test's own, to exercise the decorator."""

    def __init__(self, rows: dict[str, str], cache: QueryCache) -> None:
        self.rows = rows
        self.cache = cache
        self.reads = 0

    @cached("person:{clinic_id}:{email!h}", ttl=60, stale_time=10, tags=("clinic:{clinic_id}",), phi=True)
    async def name_of(self, clinic_id: UUID, email: str) -> str | None:
        self.reads += 1
        return self.rows.get(email)


async def test_keys_come_from_the_arguments_and_never_hold_what_identifies_a_person() -> None:
    time = ManualTime()
    cache = MemoryCache(clock=time, monotonic=time)
    query_cache = QueryCache(cache, key_secret=b"k" * 32)
    clinic = uuid.uuid4()
    directory = Directory({"ann@example.com": "Ann"}, query_cache)
    assert await directory.name_of(clinic, "ann@example.com") == "Ann"
    assert await directory.name_of(clinic, email="ann@example.com") == "Ann"
    assert directory.reads == 1
    key = f"person:{clinic}:{query_cache.hashed('ann@example.com')}"
    assert "ann" not in key and await cache.get(key, returns=str) == "Ann"
    await cache.invalidate_tags(f"clinic:{clinic}")
    await directory.name_of(clinic, "ann@example.com")
    assert directory.reads == 2


class FreshInstances(DetachedReads):
    """Resolves a new instance per run, like the container's own scope would."""

    def __init__(self, make: object) -> None:
        self.make = make
        self.owners: list[type] = []

    async def run(self, owner, work):
        self.owners.append(owner)
        return await work(self.make())


async def test_a_background_refresh_reads_through_an_instance_of_its_own() -> None:
    time = ManualTime()
    cache = MemoryCache(clock=time, monotonic=time)
    clinic = uuid.uuid4()
    rows = {"ann@example.com": "Ann"}
    fresh: list[Directory] = []

    def make() -> Directory:
        fresh.append(Directory(rows, QueryCache(cache)))
        return fresh[-1]

    detached = FreshInstances(make)
    caller = Directory(rows, QueryCache(cache, detached=detached))
    await caller.name_of(clinic, "ann@example.com")
    time.advance(11)
    rows["ann@example.com"] = "Ann Renamed"
    assert await caller.name_of(clinic, "ann@example.com") == "Ann"  # stale, served at once
    await wait_until(lambda: len(fresh) == 1 and fresh[0].reads == 1, what="the detached refresh")
    await wait_until(lambda: cache.stats().refreshes == 1 and not cache._filling.refresher.running)
    assert await caller.name_of(clinic, "ann@example.com") == "Ann Renamed"
    assert caller.reads == 1 and detached.owners == [Directory]
