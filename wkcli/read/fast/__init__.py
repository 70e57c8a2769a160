"""Fast paths through large plain dumps, with exactly the results of the general reader: when, and which.

The Reader asks ``usable`` (do its criteria and options leave nothing for a shortcut to get
wrong?) and, per file, ``worth_it``; then a ``FastCount``, ``FastJsonl`` or (for export)
``FastRows`` (imported where used: it brings the row code) reads the file with
``scan(source, ledger)``. Nothing here imports the Reader:
what is read is accounted for through the ``Ledger`` it is given, and what is kept is decided
by the same criteria.

Module map: ``scan`` (the driver), ``workers`` (the fork protocol), ``pieces`` (lines and byte
ranges), ``counts`` (bulk counts), ``count``, ``groups`` (``count --by`` fields), ``jsonl``,
``check`` (``check``'s rules), ``report`` (on check's) and ``rows`` (export's rows) (the hot
loops), ``decode`` and ``rowdecode`` (msgspec structs). The thresholds are ``options.Tuning``.
"""

from __future__ import annotations

import os

from wkcli.read.fast.count import FastCount
from wkcli.read.fast.groups import FastGroups
from wkcli.read.fast.groups import fast_paths as groups_usable
from wkcli.read.fast.jsonl import FastJsonl
from wkcli.read.fast.scan import OutputFailed, Scan
from wkcli.read.options import ReadOptions, Tuning
from wkcli.read.source import Input
from wkcli.webhook.filters import Criteria

__all__ = [
    "FastCount",
    "FastGroups",
    "FastJsonl",
    "groups_usable",
    "OutputFailed",
    "Scan",
    "usable",
    "worth_it",
]

FAST_FORMATS = ("auto", "jsonl", "log")


def usable(criteria: Criteria, options: ReadOptions) -> bool:
    """True when the criteria and options leave nothing for a fast path to get wrong.

    Filters on anything but kind and event (fields, ids, payload text, time), ``--limit``,
    ``--follow`` and ``--input-format json`` (values spanning lines) always take the general path, and so does
    everything when the environment sets ``WKCLI_FASTPATH=0`` (to compare the two).
    """
    c = criteria
    return (
        os.environ.get("WKCLI_FASTPATH", "") != "0"
        and not options.follow
        and options.input_format in FAST_FORMATS
        and c.limit is None
        and not c.beyond_kind_and_event()
    )


def worth_it(source: Input, tuning: Tuning) -> bool:
    """False for small regular files, where the fast path's set-up costs more than it saves."""
    if source.interactive or source.compressed or source.size is None:
        return True
    return source.size >= tuning.fast_min_bytes
