"""The shortcuts `run create` takes on a large registry give what the plain way gives: the
ledger's surplus before and after a plan from one reading of the flows, the intake counted per
family where it was received, and ids packed as raw bytes only when every one has the shape."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import zstandard

import registry_fixtures as rf
from fairshare.ledger import Transfer
from fairshare.service import Context
from fairshare.service.ledger import read_flows, surplus_before_after, surplus_by_code
from fairshare.service.snapshot import MAGIC, decode_snapshot, encode_snapshot, snapshot_body
from fairshare.store.engine import read_transaction
from test_ledger_registry import _decided
from test_snapshot_storage import _doc

registry = rf.registry


def test_surplus_before_and_after_is_the_surplus_without_and_with_the_moves(
        registry: Context, tmp_path: Path) -> None:
    _, dest, persons = _decided(registry, tmp_path)
    moves = [Transfer(from_code="QC", to_code="NB", count=2, date=dt.date(2026, 6, 1)),
             Transfer(from_code="QC", to_code="ON", count=4, date=dt.date(2026, 6, 1))]
    with read_transaction(registry.engine) as conn:
        before, after = surplus_before_after(conn, registry, key="canada-population",
                                             moves=moves)
        assert before == surplus_by_code(conn, registry, key="canada-population")
        assert after == surplus_by_code(conn, registry, key="canada-population", moves=moves)
        flows = read_flows(conn, registry.today())
    assert after != before
    # The families count where they were received (Quebec, the accepted one too), once.
    assert flows.intake == (("2026", "QC", 12),)
    assert [(t.from_code, t.to_code, t.count) for t in flows.transfers] == [("QC", dest,
                                                                             persons)]


def test_ids_are_packed_only_when_each_one_has_the_shape() -> None:
    # A line break inside an id: joined one a line, the ids would look like three of the shape.
    for ids in (["f-00aa", "f-00bb\nf-00cc"], ["f-00aa\n", "f-00bb"], ["f-00aa", "f-00bb\n"]):
        doc = _doc(ids, ["c-0a", "c-0b"])
        body = snapshot_body(doc)
        head = json.loads(body[9:9 + int.from_bytes(body[1:9], "big")])
        assert head["families"]["id"] == ids  # kept as text
        assert head["members"]["id"] == {"prefix": "c-", "hex_digits": 2, "count": 2}
        assert decode_snapshot(encode_snapshot(doc)) == doc
    doc = _doc(["f-00aa", "f-00bb"], ["c-0a", "c-0b"])
    stored = encode_snapshot(doc)
    raw = zstandard.ZstdDecompressor().decompress(stored[len(MAGIC):])
    assert raw.endswith(bytes.fromhex("00aa00bb0a0b"))  # both columns packed, in order
    assert decode_snapshot(stored) == doc
