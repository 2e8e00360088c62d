"""`make run`'s server and the operator CLI, as an operator uses them."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from processes import Server, base_env, cli

BASE = "/api/v1"


def test_first_start_seeds_demo_data_and_serves_the_walk_through(server: Server) -> None:
    log = (server.workdir / "server.log").read_text()
    assert "healthcare auth token --email admin@demo.clinic" in log

    token = cli(server.workdir, "auth", "token", "--email", "admin@demo.clinic", env=server.env)
    assert token.returncode == 0, token.stderr
    headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        clinic = client.post(f"{BASE}/clinics", json={"name": "CLI Clinic", "timeZone": "America/New_York"})
        assert clinic.status_code == 201, clinic.text
        location = client.post(
            f"{BASE}/clinics/{clinic.json()['id']}/locations", json={"name": "Main", "address": "1 Main St"}
        )
        assert location.status_code == 201
        user = client.post(f"{BASE}/users", json={"name": "Front Desk", "email": "desk@cli.example"})
        member = client.post(
            f"{BASE}/clinics/{clinic.json()['id']}/members",
            json={"userId": user.json()["id"], "role": "RECEPTIONIST"},
        )
        assert member.status_code == 201, member.text

    assert server.stop() == 0  # SIGTERM drains and exits cleanly
    assert "Traceback" not in (server.workdir / "server.log").read_text()


def test_create_admin_then_token(tmp_path: Path) -> None:
    created = cli(tmp_path, "users", "create-admin", "--email", "ops@example.com", "--name", "Ops")
    assert created.returncode == 0, created.stderr
    again = cli(tmp_path, "users", "create-admin", "--email", "OPS@example.com", "--name", "Ops")
    assert again.returncode == 1 and "EMAIL_ALREADY_EXISTS" in again.stderr
    token = cli(tmp_path, "auth", "token", "--email", "ops@example.com", "--ttl", "5")
    assert token.returncode == 0 and token.stdout.count(".") == 2
    unknown = cli(tmp_path, "auth", "token", "--email", "nobody@example.com")
    assert unknown.returncode == 1 and "USER_NOT_FOUND" in unknown.stderr


def test_config_show_masks_secrets_and_names_sources(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_PORT=9123\n")
    env = base_env(tmp_path, JWT_SECRET="s3cr3t-value-that-must-not-print-000000")
    shown = cli(tmp_path, "config", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "s3cr3t" not in shown.stdout
    assert any("APP_PORT" in line and "9123" in line and ".env" in line for line in shown.stdout.splitlines())
    assert any("JWT_SECRET" in line and "environment" in line for line in shown.stdout.splitlines())


def test_invalid_settings_stop_start_up_naming_every_bad_key(tmp_path: Path) -> None:
    env = base_env(tmp_path, APP_PORT="eighty", CACHE_PROVIDER="memcached")
    result = cli(tmp_path, "config", "show", env=env)
    assert result.returncode == 2
    assert "APP_PORT" in result.stderr and "CACHE_PROVIDER" in result.stderr


def test_keys_rotate_reseals_so_the_old_key_can_be_retired(tmp_path: Path) -> None:
    import base64
    import os

    old, new = (base64.urlsafe_b64encode(os.urandom(32)).decode() for _ in range(2))
    with_old = base_env(tmp_path, SECURITY_PHI_ENCRYPTION_KEY=f"old:{old}")
    assert (
        cli(
            tmp_path, "users", "create-admin", "--email", "ops@example.com", "--name", "Ops", env=with_old
        ).returncode
        == 0
    )
    both = base_env(tmp_path, SECURITY_PHI_ENCRYPTION_KEY=f"new:{new},old:{old}")
    rotated = cli(tmp_path, "keys", "rotate", "--batch-size", "1", env=both)
    assert rotated.returncode == 0, rotated.stderr
    # Every sealed row of the demo data (users, patients, appointments...), all of them re-sealed.
    counts = dict(re.findall(r"^(\w+): re-sealed (\d+ of \d+) rows", rotated.stdout, re.M))
    assert counts["users"].split(" of ")[0] == counts["users"].split(" of ")[1] != "0", rotated.stdout
    assert counts["patients"].split(" of ")[0] == counts["patients"].split(" of ")[1], rotated.stdout
    only_new = base_env(tmp_path, SECURITY_PHI_ENCRYPTION_KEY=f"new:{new}")
    token = cli(tmp_path, "auth", "token", "--email", "ops@example.com", env=only_new)
    assert token.returncode == 0, token.stderr


def test_sign_in_with_a_code_printed_by_the_console_channel(server: Server) -> None:
    import re

    from processes import wait_until

    log = server.workdir / "server.log"
    with httpx.Client(base_url=server.url, timeout=10) as client:
        asked = client.post(
            f"{BASE}/auth/request-otp", json={"email": "clinic.admin@demo.clinic", "deliveryMethod": "email"}
        )
        assert asked.status_code == 202
        pattern = re.compile(r"\[email to clinic\.admin@demo\.clinic\] otp: code=(\d{6})")
        wait_until(
            lambda: pattern.search(log.read_text()) is not None, 30, "the console channel to print the code"
        )
        code = pattern.search(log.read_text()).group(1)
        tokens = client.post(
            f"{BASE}/auth/verify-otp", json={"email": "clinic.admin@demo.clinic", "code": code}
        )
        assert tokens.status_code == 200, tokens.text
        me = client.get(
            f"{BASE}/auth/me", headers={"Authorization": f"Bearer {tokens.json()['accessToken']}"}
        )
        assert me.json()["memberships"][0]["role"] == "CLINIC_ADMIN"
    # The code reached the terminal through the console channel, never through the log.
    assert not [line for line in log.read_text().splitlines() if code in line and " INFO " in line]
