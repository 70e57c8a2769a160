"""Each row's value of a field as a small number, so that rows are filtered on it without being read."""

from __future__ import annotations

from array import array

# The fields a row keeps a code of, so that filtering on them reads no file.
FIELDS = ("channel_id", "channel_type", "from_uid", "content_type", "cmd")
_UNHASHABLE = ("\0unhashable",)  # stands for a list or object value: equal to no filter value


class Codes:
    """Each row's value of one field as a number into ``values`` (0: None, or no such field)."""

    def __init__(self) -> None:
        self.codes = array("I")
        self.values: list[object] = [None]
        self._known: dict[object, int] = {None: 0}

    def add(self, value: object) -> None:
        try:
            code = self._known.get(value)
        except TypeError:
            value = _UNHASHABLE
            code = self._known.get(value)
        if code is None:
            code = self._known[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def extend(self, values: list[object]) -> None:
        """Take values coded elsewhere (in the indexing process), in their order."""
        for value in values:
            self._known[value] = len(self.values)
            self.values.append(value)
