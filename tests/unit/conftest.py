import pytest
from memory_world import World

from application.ports.clock import Clock, IdGenerator


@pytest.fixture
def world(clock: Clock, ids: IdGenerator) -> World:
    return World(clock, ids)
