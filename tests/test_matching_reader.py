"""The vectorised CSV reader: every bad cell named by file, row and column; columnar scores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fairshare.errors import InputError
from fairshare.matching import ScoreTable
from fairshare.matching.io import read_destinations, read_families, read_problem, read_scores

CASES = [
    (read_families, "family_id,size,consent\na,2,true\nb,2,true,extra\n",
     "row 3: more cells than columns"),
    (read_families, "family_id,size,consent\na,2.5,true\n", "row 2, column size: '2.5' is not"),
    (read_families, "family_id,size,consent\na,0,true\n", "row 2, column size: 0 is below 1"),
    (read_families, "family_id,size,consent\n,2,true\n", "row 2, column family_id: empty id"),
    (read_families, "family_id,size,consent\na,2,true\nb,1,maybe\n",
     "row 3, column consent: 'maybe' is not true or false"),
    (read_scores, "family_id,destination,score\na,NB,0.5\nb,NB,abc\n",
     "row 3, column score: 'abc' is not a number"),
    (read_scores, "family_id,destination,score\na,NB,0.5\na,NB,0.6\n",
     "row 3: duplicate score for family 'a' at 'NB'"),
    (read_scores, "family_id,destination,score\na,NB,1.5\n", "row 2, column score: 1.5 is outside"),
    (read_destinations, "code,capacity,min\nNB,10,x\n", "row 2, column min: 'x' is not"),
    (read_destinations, "code,capacity,shortfall\nNB,10,x\n", "row 2, column shortfall"),
    (read_destinations, "code,capacity,housing\nNB,10,1-2\n", "row 2, column housing"),
    (read_families, "", "missing column(s) family_id, size, consent"),
    # a short row is padded with empty cells, and rows are data rows (blank lines skipped)
    (read_families, "family_id,size,consent,current\na,2,true\n\nb,0,true,ON\n",
     "row 3, column size: 0 is below 1"),
    (read_families, "family_id,size,consent\na,2,true\n\nb,2,true,x\n",
     "row 3: more cells than columns"),
    (read_families, "family_id,size,consent,size\na,2,true,3\n", "unknown column(s) size.1"),
    (read_families, "family_id,size,consent\na,,true\n", "row 2, column size: '' is not"),
    (read_scores, "family_id,destination,score\na,NB,0.5\nb,NB,\n",
     "row 3, column score: '' is not a number"),
    (read_scores, "family_id,destination,score\na,NB,1_0\n", "row 2, column score: '1_0' is not"),
    (read_scores, "family_id,destination,score\na,NB,nan\n", "row 2, column score: nan is outside"),
    (read_scores, "family_id,destination,score\na,NB,0.5\nb,NB,1\nb,ON,1\na,NB,0.1\n",
     "row 5: duplicate score for family 'a' at 'NB'"),
    (read_destinations, "code,capacity\nNB,99999999999999999999999\n",
     "row 2, column capacity: '99999999999999999999999' is not a whole number"),
    (read_destinations, "code,capacity,shortfall\nNB,10,nan\n", "'nan' is not a number"),
]


@pytest.mark.parametrize(("reader", "text", "message"), CASES)
def test_bad_cells_are_named_by_row_and_column(tmp_path: Path, reader, text: str,  # type: ignore[no-untyped-def]
                                               message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        reader(path)


def test_scores_are_read_as_one_array(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("family_id,size,consent,preferences\nb,1,true,ON;NB\n"
                                    "a,2,yes,\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("code,capacity\nNB,3\nON,4\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("family_id,destination,score\nb,ON,0.25\na,NB,0.5\n"
                                    " b , NB ,1\n", encoding="utf-8")
    p = read_problem(tmp_path / "f.csv", tmp_path / "d.csv", tmp_path / "s.csv")
    assert isinstance(p.scores, ScoreTable)
    assert p.scores.family_ids == ("a", "b") and p.scores.codes == ("NB", "ON")
    assert np.isnan(p.scores.array[0, 1]) and dict(p.scores["b"]) == {"NB": 1.0, "ON": 0.25}
    assert [f.preferences for f in p.families] == [("ON", "NB"), ()]
    assert [f.consent for f in p.families] == [True, True]


def test_cells_are_stripped_and_a_bom_and_blank_lines_ignored(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_bytes(b"\xef\xbb\xbf family_id , size,consent,preferences,current\n\n"
                                     b" a ,+2, YES ,\"ON; QC\"\nb,1,no\n")
    a, b = read_families(tmp_path / "f.csv")
    assert (a.id, a.size, a.consent, a.preferences, a.current) == ("a", 2, True, ("ON", "QC"), None)
    assert (b.id, b.consent, b.current) == ("b", False, None)


def test_reading_a_batch_does_not_import_pandas(tmp_path: Path) -> None:
    """pandas takes about 0.2 s to import: the `match` command's reader works without it."""
    (tmp_path / "f.csv").write_text("family_id,size,consent\na,2,true\n", encoding="utf-8")
    (tmp_path / "d.csv").write_text("code,capacity,min,shortfall\nNB,3,1,0.5\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text("family_id,destination,score\na,NB,0.5\n", encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom fairshare.matching.io import read_problem\n"
            f"p = read_problem(*(Path({str(tmp_path)!r}) / n for n in ('f.csv', 'd.csv', 's.csv')))\n"
            "assert p.scores['a']['NB'] == 0.5\nprint('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
