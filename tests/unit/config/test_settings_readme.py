"""The README configuration table lists every setting, and nothing else."""

from pathlib import Path

from entrypoints.config import settings_catalogue

README = Path(__file__).resolve().parents[3] / "README.md"
START, END = "<!-- config-table:start -->", "<!-- config-table:end -->"


def table_keys(text: str) -> list[str]:
    body = text.split(START, 1)[1].split(END, 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("|")]
    assert rows[0].replace(" ", "") == "|Key|Default|Description|"
    return [row.split("|")[1].strip().strip("`") for row in rows[2:]]


def test_readme_table_lists_exactly_the_settings() -> None:
    keys = table_keys(README.read_text(encoding="utf-8"))

    assert len(keys) == len(set(keys)), "a key is listed twice"
    assert set(keys) == {info.key for info in settings_catalogue()}
