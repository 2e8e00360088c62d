"""Where values come from: environment, .env.local, .env.{APP_ENV}, .env, defaults."""

from pathlib import Path

import pytest

from entrypoints.config import LogLevel, SettingsError, load_settings


def write(base: Path, name: str, text: str) -> None:
    (base / name).write_text(text, encoding="utf-8")


def test_each_source_wins_over_the_ones_below_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        ".env",
        "APP_ENV=staging\nAPP_NAME=from-env\nAPP_PORT=1004\nAPP_WORKERS=4\nLOGGING_LEVEL=ERROR\n",
    )
    write(tmp_path, ".env.staging", "APP_NAME=from-staging\nAPP_PORT=1003\nAPP_WORKERS=3\n")
    write(tmp_path, ".env.local", "APP_NAME=from-local\nAPP_PORT=1002\n")

    settings = load_settings({"APP_NAME": "from-process"}, base_dir=tmp_path, in_container=False)

    assert settings.app.name == "from-process"
    assert settings.app.port == 1002
    assert settings.app.workers == 3
    assert settings.logging.level is LogLevel.ERROR
    assert settings.database.echo is False
    assert settings.sources["APP_NAME"] == "environment"
    assert settings.sources["APP_PORT"] == ".env.local"
    assert settings.sources["APP_WORKERS"] == ".env.staging"
    assert settings.sources["LOGGING_LEVEL"] == ".env"
    assert settings.sources["DATABASE_ECHO"] == "default"
    assert settings.sources["APP_ENV"] == ".env"


def test_sources_name_every_key(tmp_path: Path) -> None:
    settings = load_settings({}, base_dir=tmp_path, in_container=False)

    assert set(settings.sources.values()) == {"default"}
    assert "WHATSAPP_ACCESS_TOKEN" in settings.sources
    assert "RATE_LIMIT_REQUESTS_PER_MINUTE" in settings.sources


@pytest.mark.parametrize(
    ("environ", "local", "expected"),
    [
        ({}, "", "test"),  # from .env
        ({}, "APP_ENV=staging\n", "staging"),  # .env.local beats .env
        ({"APP_ENV": "development"}, "APP_ENV=staging\n", "development"),  # environment beats both
    ],
)
def test_app_env_selects_the_env_file(
    tmp_path: Path, environ: dict[str, str], local: str, expected: str
) -> None:
    write(tmp_path, ".env", "APP_ENV=test\n")
    write(tmp_path, ".env.local", local)
    for app_env in ("development", "test", "staging", "production"):
        write(tmp_path, f".env.{app_env}", f"APP_NAME=name-{app_env}\n")

    settings = load_settings(environ, base_dir=tmp_path, in_container=False)

    assert settings.app.env == expected
    assert settings.app.name == f"name-{expected}"
    assert settings.sources["APP_NAME"] == f".env.{expected}"


def test_env_file_for_another_app_env_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, ".env.production", "APP_DEBUG=true\nAPP_NAME=prod-name\n")

    settings = load_settings({"APP_ENV": "staging"}, base_dir=tmp_path, in_container=False)

    assert settings.app.name == "clinic-backend"
    assert settings.sources["APP_NAME"] == "default"


def test_env_file_cannot_change_the_app_env_that_selected_it(tmp_path: Path) -> None:
    write(tmp_path, ".env.staging", "APP_ENV=development\n")

    with pytest.raises(SettingsError, match=r"APP_ENV: \.env\.staging cannot change APP_ENV"):
        load_settings({"APP_ENV": "staging"}, base_dir=tmp_path, in_container=False)


def test_dotenv_syntax_is_understood(tmp_path: Path) -> None:
    write(
        tmp_path,
        ".env",
        "# a comment\n"
        'export APP_NAME="quoted name"\n'
        "JWT_ISSUER='single $NOT_EXPANDED'\n"
        'JWT_AUDIENCE="${NOT_EXPANDED}"\n'
        "EMAIL_FROM_ADDRESS=a@b.c # note\n",
    )

    settings = load_settings({"NOT_EXPANDED": "x"}, base_dir=tmp_path, in_container=False)

    assert settings.app.name == "quoted name"
    assert settings.jwt.issuer == "single $NOT_EXPANDED"
    # No interpolation: it would read os.environ rather than the mapping we passed.
    assert settings.jwt.audience == "${NOT_EXPANDED}"
    assert settings.email.from_address == "a@b.c"


def test_unknown_key_with_a_section_prefix_in_a_file_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, ".env", "DATABASE_URLL=sqlite+aiosqlite:///x.db\nCOMPOSE_PROJECT_NAME=clinic\n")
    write(tmp_path, ".env.local", "jwt_secrett=abc\n")

    with pytest.raises(SettingsError) as caught:
        load_settings({}, base_dir=tmp_path, in_container=False)

    message = str(caught.value)
    assert "DATABASE_URLL: unknown setting in .env (did you mean DATABASE_URL?)" in message
    assert "jwt_secrett: unknown setting in .env.local" in message
    assert "COMPOSE_PROJECT_NAME" not in message
    assert "abc" not in message


def test_unknown_keys_in_the_process_environment_are_ignored(tmp_path: Path) -> None:
    environ = {"DATABASE_URLL": "whatever", "APP_SOMETHING_ELSE": "x", "PATH": "/usr/bin", "HOME": "/root"}

    settings = load_settings(environ, base_dir=tmp_path, in_container=False)

    assert settings.app.port == 8088


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings({}, base_dir=tmp_path, in_container=False)

    with pytest.raises(AttributeError):
        settings.app.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        settings.sources["APP_PORT"] = "environment"  # type: ignore[index]
