"""Synthetic members for a batch of families: the members file ``fairshare outcomes predict``
reads, consistent with a ``families.csv`` (each family gets exactly ``size`` members).

Adults are taken whole from families of the synthetic history (:mod:`fairshare.outcomes.synth`)
whose adults and children add up to the batch family's size, so their ages, languages,
education and occupations follow that documented generative model; children get an age under 18
(predict does not score them). Sex and region of origin are not written: predict does not ask
for them. Deterministic: the same families and seed give the same file.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from fairshare.errors import InputError
from fairshare.i18n import Num, msg

COLUMNS = ("member_id", "family_id", "age", "english_level", "french_level", "education",
           "occupation_group")
ADULT_COLUMNS = ("age", "english_level", "french_level", "education", "occupation_group")


def synth_members(families: Sequence[tuple[str, int]], seed: int) -> pd.DataFrame:
    """Members of ``families`` (family id, size ≥ 1), sorted by family id.

    >>> m = synth_members([("F2", 1), ("F1", 4)], seed=7)
    >>> m.groupby("family_id").size().to_dict(), bool((m.groupby("family_id")["age"].max() >= 18).all())
    ({'F1': 4, 'F2': 1}, True)
    """
    from fairshare.outcomes.synth import generate_history

    for family_id, size in families:
        if size < 1:
            raise InputError(msg("error_synth_family_size", family=family_id, size=Num(size)))
    total = sum(size for _, size in families)
    history = generate_history(max(400, 2 * total), seed)
    pool: dict[int, list[pd.DataFrame]] = {}
    for _, adults in history.groupby("family_id", sort=True):
        size = len(adults) + int(adults["children"].iloc[0])
        pool.setdefault(size, []).append(adults.loc[:, list(ADULT_COLUMNS)])
    singles = [a for group in pool.values() for a in group if len(a) == 1]
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    for family_id, size in sorted(families):
        choices = pool.get(size)
        if choices:
            adults = choices[int(rng.integers(len(choices)))]
        else:  # larger than any history family: one adult and the rest children
            adults = singles[int(rng.integers(len(singles)))]
        adults = adults.iloc[:size]
        members = [dict(zip(ADULT_COLUMNS, values, strict=True))
                   for values in adults.itertuples(index=False)]
        youngest_parent = int(adults["age"].min())
        for _ in range(size - len(members)):
            members.append({"age": int(rng.integers(0, min(18, max(1, youngest_parent - 17)))),
                            "english_level": 0, "french_level": 0, "education": "none",
                            "occupation_group": "none"})
        for n, member in enumerate(members, start=1):
            rows.append({"member_id": f"{family_id}-M{n}", "family_id": family_id, **member})
    return pd.DataFrame(rows, columns=list(COLUMNS))
