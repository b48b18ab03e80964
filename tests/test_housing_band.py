"""One rule says which housing band holds a family of a given size: Destination.band_for.
The model's housing rows, the reasons a pair is not allowed and the pairs' own table follow it."""

from __future__ import annotations

import numpy as np

from fairshare.matching import Destination, Family, Problem
from fairshare.matching.model import build_pairs, pair_reason


def _problem() -> Problem:
    sizes = (1, 2, 3, 4, 5, 7, 9)
    fams = tuple(Family(f"f{i}", s, True) for i, s in enumerate(sizes))
    dests = (Destination("NB", 100, housing_units={"1-2": 3, "3-4": 0, "5-7": 2}),
             Destination("ON", 100))
    return Problem(fams, dests, {f.id: {"NB": 0.5, "ON": 0.4} for f in fams})


def test_band_for_names_the_band_that_holds_the_size() -> None:
    nb = Destination("NB", 10, housing_units={"1": 1, "2-3": 1, "6+": 1})
    assert [nb.band_for(s) for s in (1, 2, 3, 4, 5, 6, 40)] == [
        "1", "2-3", "2-3", None, None, "6+", "6+"]
    assert Destination("ON", 10).band_for(3) is None  # no housing limit at all


def test_pairs_follow_the_band_rule() -> None:
    p = _problem()
    pairs = build_pairs(p)
    dests = {d.code: d for d in p.destinations}
    nb = pairs.dest_codes.index("NB")
    for k in range(len(pairs.fam)):
        fam = p.families[int(pairs.fam[k])]
        d = dests[pairs.dest_codes[int(pairs.dest[k])]]
        band = d.band_for(fam.size)
        row = int(pairs.house[k])
        if d.housing_units is None:
            assert row == -1
        else:  # allowed at a limited destination: its band has units, and that is its row
            assert band is not None and d.housing_units[band] > 0
            assert pairs.housing[row][:2] == (nb, band)
    allowed = {(p.families[int(f)].id, pairs.dest_codes[int(d)])
               for f, d in zip(pairs.fam, pairs.dest, strict=True)}
    # sizes 3-4: a band without units; 9: no band at all; both named "no-housing" and left out
    for fam in p.families:
        reason = pair_reason(p, fam, dests["NB"])
        assert (reason == "no-housing") == (fam.size in (3, 4, 9))
        assert ((fam.id, "NB") in allowed) == (reason is None)
    table = pairs.house_by_size
    assert np.array_equal(table[pairs.dest, pairs.pair_sizes], pairs.house)
