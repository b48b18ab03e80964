"""Outcome prediction: synthetic history, training, evaluation, fairness audit, back-test.

Public entry points for other engines (the matching engine reads scores through them)::

    from fairshare.outcomes import scores_for, principal_factors
    scores = scores_for("models/outcomes", members, ["QC", "ON", "NB"])  # family_id,destination,score

See docs/outcomes.md.
"""

from __future__ import annotations

from fairshare.outcomes.predict import member_scores, principal_factors, scores_for

__all__ = ["member_scores", "principal_factors", "scores_for"]
