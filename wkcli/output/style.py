"""The one table of styles: each name wkcli's views use, and the SGR code it stands for."""

from __future__ import annotations

# Rich is given these same names (it reads them as the same SGR codes), the table rows and the
# Painter write the codes themselves: so a name means one colour in every view.
SGR = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "magenta": "35",
    "cyan": "36",
    "bold red": "1;31",
    "bold magenta": "1;35",
}

RESET = "\x1b[0m"

KIND_STYLES = {"cmd": "bold magenta", "chat": "green"}


def sgr(style: str) -> str:
    """The escape sequence that starts ``style`` (a name from ``SGR``)."""
    return f"\x1b[{SGR[style]}m"
