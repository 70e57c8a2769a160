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

# What the views mean by a colour, each named once: the tables, count and the report's panels
# draw a CMD, a chat message, a warning or an offline entry in the same colour.
ROLES = {
    "cmd": "bold magenta",
    "chat": "green",
    "retries": "red",
    "online": "green",
    "offline": "yellow",
    "bar": "cyan",
    "warning": "bold red",
    "info": "cyan",
}
KIND_STYLES = {"cmd": ROLES["cmd"], "chat": ROLES["chat"]}


def role(name: str) -> str:
    """The style of a role (``cmd``, ``warning``), or ``name`` itself when it is a style already."""
    style = ROLES.get(name, name)
    if style and style not in SGR:
        raise KeyError(f"style {name!r} is not in wkcli.output.style")
    return style


def sgr(style: str) -> str:
    """The escape sequence that starts ``style`` (a name from ``SGR``)."""
    return f"\x1b[{SGR[style]}m"
