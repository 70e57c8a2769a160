"""The compact duplicate check gives exactly the findings of the previous dict-and-set one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from wk_fixtures import message, text

from wkcli.read.reader import Reader
from wkcli.webhook.checks import Checker
from wkcli.webhook.dedupe import identity
from wkcli.webhook.deliveries import Exact, Table, identity_hash
from wkcli.webhook.model import MSG_NOTIFY, MSG_OFFLINE, Message, Origin

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


class _Chunks:
    def __init__(self, origin: Origin, uids: set[str]) -> None:
        self.origin = origin
        self.uids = uids
        self.chunks = 1


class ExactChecker(Checker):
    """The previous implementation: every identity string, its Origin and recipient set in dicts."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._exact: dict[str, dict[str, Origin | _Chunks]] = {}
        self.exact_forgotten = 0

    def _duplicates(self, message: Message, uids: list[str] | None) -> None:
        ident = identity(message)
        event = message.event
        if ident is None or event is None:
            return
        seen_in_event = self._exact.setdefault(event, {})
        seen = seen_in_event.get(ident)
        if seen is None:
            if self.remember is not None and len(seen_in_event) >= self.remember:
                items = list(seen_in_event.items())
                half = len(items) // 2
                self.exact_forgotten += half
                seen_in_event = self._exact[event] = dict(items[half:])
            if uids and event != MSG_NOTIFY:
                seen_in_event[ident] = _Chunks(message.origin, set(uids))
            else:
                seen_in_event[ident] = message.origin
            return
        if isinstance(seen, _Chunks):
            if uids and seen.uids.isdisjoint(uids):
                seen.uids.update(uids)
                seen.chunks += 1
                if seen.chunks == 2:
                    self._note("offline-chunks", message, f"first chunk at {seen.origin}")
                return
            first = seen.origin
            why = "recipients overlap those of the delivery" if uids else "delivered before"
        else:
            first = seen
            why = "delivered before"
        self._note("duplicate", message, f"{why} at {first}")


def traffic(seed: int, count: int = 3000) -> list[Message]:
    """Notify batches, offline messages with chunks, retries (same body again), partial overlaps,
    truncated recipients, client_msg_no-only messages and unknown events, in several files."""
    rng = random.Random(seed)
    out: list[Message] = []
    line = 0
    for _ in range(count):
        line += 1
        origin = Origin(rng.choice(["a.jsonl", "b.jsonl", "<stdin>"]), line)
        roll = rng.random()
        ident = rng.randrange(count // 2) if rng.random() < 0.3 else rng.randrange(10**6, 10**7)
        if roll < 0.4:
            data = message(ident, text("hi"))
            out.append(Message(data, MSG_NOTIFY, origin))
        elif roll < 0.9:
            size = rng.choice([0, 1, 2, 5, 40])
            base = rng.randrange(60)
            uids = [f"u{base + i}" for i in range(size)]
            data = message(ident, text("x"), to_uids=uids)
            out.append(Message(data, MSG_OFFLINE, origin))
            if size and rng.random() < 0.3:  # more chunks, disjoint or not, or a retry of this one
                for _ in range(rng.randrange(1, 4)):
                    line += 1
                    kind = rng.random()
                    more = uids if kind < 0.3 else [f"v{line}-{i}" for i in range(size)]
                    if 0.6 < kind < 0.8:
                        more = more[:1] + uids[-1:]  # overlaps part of the first chunk
                    data = message(ident, text("x"), to_uids=more)
                    out.append(Message(data, MSG_OFFLINE, Origin(origin.path, line)))
        elif roll < 0.95:
            data = message(0, text("c")) | {"client_msg_no": f"c{ident % 50}", "message_idstr": ""}
            out.append(Message(data, MSG_OFFLINE, origin))
        else:
            out.append(Message(message(ident, text("?")), "msg.odd", origin))
    # A sample of everything delivered again at the end, as a receiver that failed would get it.
    out.extend(rng.sample(out, len(out) // 10))
    return out


def _both(items, **kwargs) -> tuple[Checker, ExactChecker]:
    compact, exact = Checker(**kwargs), ExactChecker(**kwargs)
    for item in items:
        compact.add(item)
        exact.add(item)
    return compact, exact


@pytest.mark.parametrize("seed", range(8))
def test_same_findings_and_examples_as_the_exact_check(seed: int) -> None:
    compact, exact = _both(traffic(seed), max_examples=50)
    assert compact.report() == exact.report()
    found = {f.code: f.count for f in compact.findings()}
    assert found.get("duplicate") and found.get("offline-chunks")  # the inputs do exercise both
    details = [e.detail for f in compact.findings() for e in f.examples]
    assert any(d and d.startswith("recipients overlap") for d in details)


@pytest.mark.parametrize("remember", [10, 64, 500])
def test_same_findings_when_remembering_a_bounded_number(remember: int) -> None:
    compact, exact = _both(traffic(11), max_examples=50, remember=remember)
    assert compact.report() == exact.report()
    assert compact.forgotten == exact.exact_forgotten > 0


def test_same_findings_on_the_samples() -> None:
    for sample in sorted(SAMPLES.iterdir()):
        compact, exact = _both(list(Reader([str(sample)])))
        assert compact.report() == exact.report(), sample.name


def test_beyond_the_exact_window_a_retry_is_an_identical_recipient_set() -> None:
    checker = Checker()

    def add(ident: int, uids: list[str], line: int) -> None:
        checker.add(Message(message(ident, text("x"), to_uids=uids), MSG_OFFLINE, Origin("d", line)))
        checker._deliveries[MSG_OFFLINE].exact = Exact()  # as if long pushed out of the window

    add(2, ["u1", "u2"], 1)
    add(2, ["u3"], 2)  # another chunk
    add(2, ["u2", "u1"], 3)  # the first chunk again: a retry
    add(2, ["u3"], 4)  # the second chunk again: a retry
    add(2, ["u1", "u9"], 5)  # overlaps, but only the exact set would tell: counted as a chunk
    found = {f.code: f.count for f in checker.findings()}
    assert found == {"offline-chunks": 1, "duplicate": 2}


def test_the_table_grows_and_finds_every_key() -> None:
    table = Table(chunked=False, size=8)
    keys = [identity_hash(str(n)) for n in range(5000)]
    for n, key in enumerate(keys):
        assert table.find(key) == -1
        table.add(key, 0, n, Origin("x", n), 0)
    assert all(table.find(key) == n for n, key in enumerate(keys))
    assert len(table) == 5000 and len(table.index) >= 5000 / 0.7


@pytest.mark.parametrize("remember", [None, 40, 7])
@pytest.mark.parametrize("chunked", [True, False])
def test_a_fast_paths_deliveries_in_runs_are_seen_as_one_by_one(remember, chunked):
    """``see_many`` (records from a fast path, in runs) says what ``see`` says of each delivery
    in turn: repeats near and far, chunks and overlaps, across generations and a growing index."""
    import orjson

    from wkcli.webhook.deliveries import FIRST, Deliveries, Paths, set_hash

    rng = random.Random(remember or 0)
    deliveries = []
    for n in range(3000):
        ident = str(rng.randrange(400) if rng.random() < 0.3 else 10_000 + n)
        uids = rng.choice([[], ["a"], ["b", "c"], ["a", "d"], [f"u{n}"]])
        deliveries.append((ident, n + 1, uids))
    one = Deliveries(chunked, Paths(), remember)
    want = []
    for pos, (ident, line, uids) in enumerate(deliveries):
        what, first = one.see(ident, Origin("f", line), uids if uids else None)
        if what != FIRST:
            want.append((pos, what, str(first)))

    def packed(uids: list[str]) -> tuple[int, int, bytes] | None:
        return (set_hash(uids), len(set(uids)), orjson.dumps(uids)) if uids else None

    many = Deliveries(chunked, Paths(), remember)
    got = []
    start = 0
    while start < len(deliveries):
        size = rng.randrange(1, 200)
        chunk = deliveries[start : start + size]
        run = [(identity_hash(ident), line, packed(uids)) for ident, line, uids in chunk]
        got += [(start + pos, what, str(first)) for pos, what, first in many.see_many(run, "f")]
        start += size
    assert got == want
    assert any(what != FIRST for _, what, _ in want)
