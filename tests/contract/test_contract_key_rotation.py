"""Key rotation: rows sealed under a retired key are re-sealed under the active one, resumably."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from adapters.crypto.blind_index import HmacBlindIndexer
from adapters.crypto.field_cipher import AesGcmFieldCipher
from adapters.sql.engine import session_factory
from adapters.sql.key_rotation import rotate_sealed_columns
from adapters.sql.migrate import migrate
from adapters.sql.repositories import SqlUserRepository
from adapters.sql.tenancy import SCOPE_KEY
from adapters.sql.uow import SqlUnitOfWork
from adapters.sql.user_codec import UserCodec
from conftest import SQL_BACKENDS, Build, _open_engine, app_role_of

OLD, NEW = os.urandom(32), os.urandom(32)
INDEX = HmacBlindIndexer(b"rotation-index-key")


@pytest.mark.parametrize("sql_backend", SQL_BACKENDS)
async def test_rotation_reseals_every_row_and_a_second_run_does_nothing(sql_backend, tmp_path) -> None:
    build = Build()
    before = UserCodec(AesGcmFieldCipher("old", {"old": OLD}), INDEX)
    users = [build.user() for _ in range(7)]
    async with _open_engine(sql_backend, tmp_path) as engine:
        role = app_role_of(engine)
        await migrate(engine, app_role=role)
        sessions = session_factory(engine, app_role=role)
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            for user in users:
                await SqlUserRepository(session, before).add(user)
            await SqlUnitOfWork(session).commit()

        seen = []
        ring = AesGcmFieldCipher("new", {"new": NEW, "old": OLD})
        done = {
            p.table: p
            for p in await rotate_sealed_columns(sessions, ring, batch_size=3, progress=seen.append)
        }
        assert (done["users"].examined, done["users"].rewritten, done["users"].total) == (7, 7, 7)
        assert [p.examined for p in seen if p.table == "users"] == [3, 6, 7]
        again = await rotate_sealed_columns(sessions, ring, batch_size=3)
        assert sum(p.rewritten for p in again) == 0

        only_new = UserCodec(AesGcmFieldCipher("new", {"new": NEW}), INDEX)  # the old key retired
        async with sessions() as session:
            session.info[SCOPE_KEY] = ("*", "")
            for user in users:
                assert await SqlUserRepository(session, only_new).get(user.id) == user
                assert await SqlUserRepository(session, only_new).get_by_email(user.email) == user
            count = (await session.execute(text("SELECT count(*) FROM users"))).scalar_one()
        assert count == 7
