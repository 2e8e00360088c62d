"""Showing settings to people: `healthcare config show` and the README table."""

from entrypoints.config.catalogue import format_value, iter_fields, settings_catalogue, shown
from entrypoints.config.sections import Settings


def render_settings(settings: Settings) -> str:
    """The effective settings: a `[section]` header, then one `KEY = value  (source)` line per key.

    Secrets are shown as `********`, or as nothing when empty (so an unset secret is visible);
    a password inside a URL is masked too. Values are written as they would be in a .env file.
    """
    lines: list[str] = []
    section = None
    for ref in iter_fields():
        if ref.section != section:
            section = ref.section
            lines.extend([*([""] if lines else []), f"[{section}]"])
        value = format_value(getattr(getattr(settings, ref.section), ref.name))
        source = settings.sources.get(ref.key, "default")
        lines.append(f"{ref.key} = {shown(ref, value)}  ({source})")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_catalogue_markdown() -> str:
    """The README configuration table: `| Key | Default | Description |`, one row per key."""
    rows = ["| Key | Default | Description |", "|---|---|---|"]
    for info in settings_catalogue():
        if not info.default:
            default = "(empty)"
        elif "`" in info.default:
            # A derived default is documented as prose that marks its own literals.
            default = info.default
        else:
            default = f"`{info.default}`"
        kind = f"{info.type}, secret" if info.secret else info.type
        rows.append(f"| `{info.key}` | {_cell(default)} | {_cell(info.description)} ({_cell(kind)}) |")
    return "\n".join(rows)
