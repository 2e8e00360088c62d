"""The one error that stops start-up when settings are invalid or unsafe."""

from collections.abc import Sequence


class SettingsError(Exception):
    """Invalid or unsafe settings; the message names every bad key and what it expects.

    `problems` holds the `(key, text)` pairs, in the order they were found. No text ever carries a
    secret's value.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {key}: {text}" for key, text in self.problems)
        super().__init__(f"Invalid settings:\n{lines}")
