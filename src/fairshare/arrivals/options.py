"""Options of the online policies; defaults come from the dated ``policies.yaml``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from fairshare.errors import InputError
from fairshare.i18n import msg

POLICIES = ("myopic", "greedy", "dual-prices", "balancing", "rotation", "hindsight")


@dataclass(frozen=True)
class OnlineOptions:
    """Knobs of the online policies (see ``policies.yaml`` for what each one means).

    ``targets`` (balancing and the balance metric): destination code -> annual target in
    persons (fair shares, say); only their shares matter. None: each destination's share of
    the total capacity (the pledges).
    """

    persons_weight: float = 10.0
    samples: int = 3
    sample_size: int = 1500
    lookback_days: int = 56
    horizon_days: int | None = None
    every: int = 1
    band: float = 0.04
    band_penalty: float = 3.0
    balance_prices: bool = True
    band_prices: bool = True
    acceptable: float = 0.5
    hindsight_solver: str = "exact"
    targets: Mapping[str, float] | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form recorded with each simulation."""
        out = dataclasses.asdict(self)
        out["targets"] = dict(self.targets) if self.targets is not None else None
        return out


def default_options(on: dt.date | None = None) -> OnlineOptions:
    """The defaults valid on ``on`` (default: the latest) from ``policies.yaml``."""
    text = resources.files("fairshare.arrivals").joinpath("policies.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    dated = sorted((dt.date.fromisoformat(str(k)), v) for k, v in data["values"].items())
    chosen = dated[-1][1]
    if on is not None:
        valid = [v for d, v in dated if d <= on]
        chosen = valid[-1] if valid else dated[0][1]
    return OnlineOptions(**chosen)


def make_options(overrides: Mapping[str, Any] | None = None) -> OnlineOptions:
    """Defaults with ``overrides`` applied; an unknown or invalid option is an InputError."""
    base = default_options()
    if not overrides:
        return base
    names = {f.name for f in dataclasses.fields(OnlineOptions)}
    unknown = sorted(set(overrides) - names)
    if unknown:
        raise InputError(msg("option_unknown", unknown=", ".join(unknown), known=", ".join(sorted(names))))
    opts = dataclasses.replace(base, **dict(overrides))
    for name in ("samples", "sample_size", "lookback_days", "every"):
        if int(getattr(opts, name)) < 1:
            raise InputError(msg("option_at_least_one", name=name, value=getattr(opts, name)))
    if opts.horizon_days is not None and opts.horizon_days < 1:
        raise InputError(msg("option_at_least_one", name="horizon_days", value=opts.horizon_days))
    if not 0 <= opts.band < 1:
        raise InputError(msg("option_band", value=opts.band))
    if opts.hindsight_solver not in ("exact", "fast"):
        raise InputError(msg("option_hindsight_solver", value=repr(opts.hindsight_solver)))
    if opts.targets is not None and any(v < 0 for v in opts.targets.values()):
        raise InputError(msg("option_targets_negative"))
    return opts
