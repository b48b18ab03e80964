"""Arrivals over time: online matching through a year (pure engine, no I/O, no database).

Public API (stable; the simulate command, the benchmarks and scenario sweeps call it)::

    from fairshare.arrivals import (Stream, Period, OnlineOptions, SimulationResult, simulate,
        synth_stream, check_stream, POLICIES, CADENCES)

    result = simulate(stream, "dual-prices", cadence="week", seed=0, options={"samples": 3})
    result.summary()   # {policy, persons_placed, outcome, hindsight_outcome, ...}
    result.assignment, result.decided_on, result.placements, result.metrics

Policies: ``myopic``, ``greedy``, ``dual-prices``, ``balancing``, ``rotation`` and the
``hindsight`` reference (docs/arrivals.md explains each with its source).
"""

from __future__ import annotations

from fairshare.arrivals.metrics import Metrics
from fairshare.arrivals.options import POLICIES, OnlineOptions, default_options, make_options
from fairshare.arrivals.simulate import SimulationResult, simulate
from fairshare.arrivals.stream import CADENCES, Period, Stream, batch_end, check_stream
from fairshare.arrivals.synth import synth_stream

__all__ = [
    "CADENCES",
    "POLICIES",
    "Metrics",
    "OnlineOptions",
    "Period",
    "SimulationResult",
    "Stream",
    "batch_end",
    "check_stream",
    "default_options",
    "make_options",
    "simulate",
    "synth_stream",
]
