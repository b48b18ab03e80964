"""Trained outcome models as registry entities: add, list, show, and the scores of a run.

A model is stored by reference: its directory, the SHA-256 of its bytes (``model.joblib``), its
model card, its feature schema and the hash of its training data. A run records which model
scored it and that hash; a replay refuses when the bytes no longer match. Without any model, a
run uses the documented default scorer (``fairshare/matching/default_scorer.yaml``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, func, insert, select

from fairshare.errors import ConflictError, InputError, NotFoundError
from fairshare.i18n import Text, msg
from fairshare.service.common import as_utc, record
from fairshare.service.context import Context
from fairshare.service.models import ModelInfo
from fairshare.store.engine import read_transaction, write_transaction
from fairshare.store.tables import scoring_models

if TYPE_CHECKING:
    from fairshare.matching import Problem
    from fairshare.outcomes.train import OutcomeModel

DEFAULT_ID = "default"
#: Predictor features the registry fills from the shared vocabulary (categories are checked).
VOCABULARY_FEATURES = ("education", "occupation_group")


def _info(row: Row[Any]) -> ModelInfo:
    return ModelInfo(id=row.id, name=row.name, path=row.path, sha256=row.sha256,
                     data_sha256=row.data_sha256, features=dict(row.features),
                     card=dict(row.card), added_at=as_utc(row.added_at), added_by=row.added_by)


def default_model_info() -> dict[str, Any]:
    """What a run scored by the default scorer records: its id and its card's SHA-256."""
    from fairshare.matching.scoring import load_scorer_card

    card = load_scorer_card()
    return {"id": DEFAULT_ID, "sha256": card.sha256, "name": card.raw.get("label", card.id)}


def feature_problems(model: OutcomeModel) -> list[Text]:
    """What in the model's feature schema the registry cannot supply (empty: usable)."""
    from fairshare.outcomes.features import REGISTRY_FEATURES
    from fairshare.vocabulary import load_vocabulary

    problems: list[Text] = [msg("model_feature_not_stored", feature=name,
                                features=", ".join(sorted(REGISTRY_FEATURES)))
                            for name in model.encoder.registry.predictors if name not in REGISTRY_FEATURES]
    vocabulary = load_vocabulary()
    allowed = {"education": vocabulary.education,
               "occupation_group": vocabulary.occupation_groups}
    for name in VOCABULARY_FEATURES:
        unknown = [c for c in model.encoder.categories.get(name, ()) if c not in allowed[name]]
        if unknown:
            problems.append(msg("model_feature_not_in_vocabulary", feature=name,
                                values=", ".join(unknown), allowed=", ".join(allowed[name])))
    return problems


def add_model(ctx: Context, *, path: str | Path, name: str | None = None,
              actor: str | None = None) -> ModelInfo:
    """Check a model directory and store it as a registry entity (idempotent per hash).

    Raises:
        InputError: not a model directory, bytes not matching its card, or features the
            registry cannot supply (each named).
    """
    from fairshare.outcomes.dataio import file_sha256
    from fairshare.outcomes.train import MODEL_FILE, load_model

    folder = Path(path).resolve()
    model = load_model(folder)  # checks the bytes against the card's SHA-256
    problems = feature_problems(model)
    if problems:
        raise InputError(msg("error_model_features", folder=str(folder)), details=problems)
    sha = file_sha256(folder / MODEL_FILE)
    card = model.card
    features = {"predictors": list(model.encoder.registry.predictors),
                "categories": {k: list(v) for k, v in model.encoder.categories.items()},
                "destinations": list(model.destinations)}
    label = (name or folder.name).strip()
    if not label or len(label) > 200:
        raise InputError(msg("error_model_name"))
    who = actor or ctx.settings.actor
    with write_transaction(ctx.engine) as conn:
        same = conn.execute(select(scoring_models).where(scoring_models.c.sha256 == sha)).first()
        if same is not None:
            return _info(same)
        number = int(conn.execute(select(func.count()).select_from(scoring_models))
                     .scalar_one()) + 1
        model_id = f"M{number:04d}"
        conn.execute(insert(scoring_models).values(
            id=model_id, name=label, path=str(folder), sha256=sha,
            card=_plain(card), features=features,
            data_sha256=str(card.get("data", {}).get("sha256", ""))[:100],
            added_at=ctx.now(), added_by=who))
        record(conn, at=ctx.now(), actor=who, action="model.add", entity_type="model",
               entity_id=model_id, details={"name": label, "sha256": sha,
                                            "features": features["predictors"],
                                            "data_sha256": card.get("data", {}).get("sha256")})
        row = conn.execute(select(scoring_models).where(scoring_models.c.id == model_id)).one()
        return _info(row)


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def list_models(ctx: Context) -> list[ModelInfo]:
    """Every stored model, newest first."""
    with read_transaction(ctx.engine) as conn:
        return [_info(r) for r in conn.execute(
            select(scoring_models).order_by(scoring_models.c.added_at.desc(),
                                            scoring_models.c.id.desc()))]


def get_model(conn: Connection, model_id: str) -> Row[Any]:
    """The stored model ``model_id``.

    Raises:
        NotFoundError: naming the models there are.
    """
    row = conn.execute(select(scoring_models).where(scoring_models.c.id == model_id)).first()
    if row is None:
        known = list(conn.execute(select(scoring_models.c.id).order_by(scoring_models.c.id))
                     .scalars())
        raise NotFoundError(msg("error_no_model", id=model_id, default=DEFAULT_ID,
                                models=", ".join(known) or msg("error_no_model_none")))
    return row


def show_model(ctx: Context, *, model_id: str) -> ModelInfo:
    """One stored model with its card and feature schema."""
    with read_transaction(ctx.engine) as conn:
        return _info(get_model(conn, model_id))


def choose_model(conn: Connection, model_id: str | None) -> Row[Any] | None:
    """The model a run uses: ``model_id``, else the latest added, else None (default scorer)."""
    if model_id == DEFAULT_ID:
        return None
    if model_id:
        return get_model(conn, model_id)
    return conn.execute(select(scoring_models).order_by(
        scoring_models.c.added_at.desc(), scoring_models.c.id.desc()).limit(1)).first()


def load_checked(row: Row[Any], *, sha256: str | None = None, run_id: str | None = None,
                 ) -> OutcomeModel:
    """Load a stored model, refusing when its bytes are not the ones recorded.

    Raises:
        ConflictError: the file's SHA-256 differs from ``sha256`` (default: the stored one).
    """
    from fairshare.outcomes.dataio import file_sha256
    from fairshare.outcomes.train import MODEL_FILE, load_model

    expected = sha256 or row.sha256
    file = Path(row.path) / MODEL_FILE
    actual = file_sha256(file) if file.is_file() else "missing"
    if actual != expected:
        use = msg("error_model_use_run", run=run_id) if run_id else msg("error_model_use_model",
                                                                        id=row.id)
        raise ConflictError(msg("error_model_changed", id=row.id, name=row.name, file=str(file),
                                use=use, expected=expected, actual=actual))
    try:
        return load_model(row.path)
    except InputError as exc:
        raise ConflictError(msg("error_model_unloadable", id=row.id, name=row.name,
                                error=str(exc))) from exc


def model_scores(model: OutcomeModel, problem: Problem, members: list[dict[str, Any]],
                 *, year: int) -> dict[str, dict[str, float]]:
    """Per-person scores of the problem's families in its destinations by a trained model."""
    from fairshare.outcomes.features import members_from_claimants
    from fairshare.outcomes.predict import registry_scores

    codes = [d.code for d in problem.destinations]
    if not codes or not problem.families:
        return {fid: {} for fid in problem.family_table.ids}
    frame = members_from_claimants(members, year=year)
    try:
        return registry_scores(model, frame, codes, list(problem.family_table.ids))
    except InputError as exc:
        raise InputError(msg("error_model_cannot_score", error=str(exc))) from exc


def score_problem(problem: Problem, row: Row[Any] | None, model: OutcomeModel | None,
                  members: list[dict[str, Any]]) -> tuple[Problem, dict[str, Any]]:
    """The problem with its scores, and what the run records about the model."""
    from fairshare.matching import default_scores
    from fairshare.matching.scoring import reference_year

    if row is None or model is None:
        return dataclasses.replace(problem, scores=default_scores(problem)), default_model_info()
    scores = model_scores(model, problem, members, year=reference_year(problem))
    return (dataclasses.replace(problem, scores=scores),
            {"id": row.id, "sha256": row.sha256, "name": row.name})
