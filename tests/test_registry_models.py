"""Trained models as registry entities: add / list / show, refusals, runs scored by a model,
replay with the same model (and refused when its bytes changed)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import registry_fixtures as rf
from fairshare.errors import ConflictError, InputError, NotFoundError
from fairshare.outcomes.features import load_registry, prepare
from fairshare.outcomes.synth import generate_history
from fairshare.outcomes.train import load_model, save_model, train
from fairshare.service import (
    Context,
    add_model,
    create_run,
    import_claimants,
    list_models,
    replay_run,
    show_model,
    show_run,
)
from registry_fixtures import add_offers, person, table_counts, write_csv

registry = rf.registry
SHIPPED = Path(__file__).resolve().parents[1] / "src" / "fairshare" / "outcomes" / "features.yaml"


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model trained on a small synthetic history, and one that needs region_of_origin."""
    root = tmp_path_factory.mktemp("models")
    frame = prepare(generate_history(900, seed=5), source="history", outcomes=True)
    good = save_model(train(frame, data_name="synthetic-900"), root / "good")
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "region_of_origin: {kind: categorical, predictor: false",
        "region_of_origin: {kind: categorical, predictor: true")
    (root / "regional.yaml").write_text(text, encoding="utf-8")
    regional = save_model(train(frame, registry=load_registry(root / "regional.yaml")),
                          root / "regional")
    return {"good": good, "regional": regional}


def _families(ctx: Context, folder: Path) -> None:
    rows = []
    profiles = [("fr:C1", "tertiary", "health_care", "1988"),
                ("en:B2;fr:A1", "secondary", "trades_construction", "1979"),
                ("es:native", "primary", "agriculture_food", "1995"),
                ("en:C2", "post-secondary", "professional_tech", "1990"),
                ("fr:B1;en:B1", "none", "sales_services", "1970")]
    for f in range(12):
        langs, edu, occ, born = profiles[f % len(profiles)]
        rows += [person(f"M-C{f:03d}-{m}", f"M-F{f:03d}", languages=langs, education=edu,
                        occupation_group=occ if m == 0 else "none",
                        birth_year=born if m == 0 else "2015", preferences="")
                 for m in range(1 + f % 3)]
    import_claimants(ctx, path=write_csv(folder / "families.csv", rows), agreement_id="qc-ca-test")
    add_offers(ctx, folder, [("ON-1", "ON", 12), ("NB-1", "NB", 10), ("AB-1", "AB", 10),
                             ("MB-1", "MB", 8)])


def test_models_add_list_show(registry: Context, model_dirs: dict[str, Path]) -> None:
    info = add_model(registry, path=model_dirs["good"], name="synthetic 900")
    assert info.id == "M0001" and info.name == "synthetic 900" and len(info.sha256) == 64
    card = json.loads((model_dirs["good"] / "model_card.json").read_text(encoding="utf-8"))
    assert info.sha256 == card["model_file"]["sha256"]
    assert info.data_sha256 == card["data"]["sha256"]
    assert info.features["predictors"] == card["features"]
    assert "destination" in info.features["predictors"]
    assert add_model(registry, path=model_dirs["good"]).id == "M0001"  # same bytes: same entity
    assert [m.id for m in list_models(registry)] == ["M0001"]
    assert show_model(registry, model_id="M0001").card["intended_use"]
    with pytest.raises(NotFoundError, match="M0001"):
        show_model(registry, model_id="M0009")


def test_model_with_features_the_registry_lacks_is_refused(registry: Context,
                                                           model_dirs: dict[str, Path]) -> None:
    before = table_counts(registry)
    with pytest.raises(InputError) as caught:
        add_model(registry, path=model_dirs["regional"])
    assert "region_of_origin" in "\n".join(caught.value.details)
    assert "cannot supply" in str(caught.value)
    assert table_counts(registry) == before


def test_a_run_uses_the_latest_model_and_its_scores_differ(registry: Context, tmp_path: Path,
                                                           model_dirs: dict[str, Path]) -> None:
    _families(registry, tmp_path)
    baseline = create_run(registry, policy="outcome", key="canada-population")
    assert baseline.model["id"] == "default"  # no model yet: the documented default scorer
    info = add_model(registry, path=model_dirs["good"])
    run = create_run(registry, policy="outcome", key="canada-population")
    assert run.model == {"id": info.id, "sha256": info.sha256, "name": info.name}
    assert run.run.versions["model"] == info.id
    chosen = create_run(registry, policy="outcome", key="canada-population", model="default")
    assert chosen.model["id"] == "default"

    def scores(run_id: str) -> dict[str, dict[str, float]]:
        from fairshare.service.snapshot import load_snapshot

        with registry.engine.connect() as conn:
            doc = load_snapshot(conn, run_id)
            assert doc is not None
        return dict(doc["problem"]["scores"])

    by_model, by_default = scores(run.run.id), scores(chosen.run.id)
    assert set(by_model) == set(by_default)
    assert all(0 <= v <= 1 for s in by_model.values() for v in s.values())
    diff = [abs(by_model[f][d] - by_default[f][d]) for f in by_model for d in by_model[f]]
    assert max(diff) > 0.05
    # the model ranks destinations differently for at least one family
    assert any(max(by_model[f], key=by_model[f].get) != max(by_default[f], key=by_default[f].get)
               for f in by_model)
    with pytest.raises(NotFoundError, match="M0001"):
        create_run(registry, policy="outcome", key="canada-population", model="M0042")


def test_replay_uses_the_model_and_refuses_changed_bytes(registry: Context, tmp_path: Path,
                                                         model_dirs: dict[str, Path]) -> None:
    copy = shutil.copytree(model_dirs["good"], tmp_path / "copy")
    _families(registry, tmp_path)
    info = add_model(registry, path=copy)
    run = create_run(registry, policy="balanced", key="canada-population")
    assert run.model["id"] == info.id
    assert replay_run(registry, run_id=run.run.id).identical
    model = load_model(copy)
    model.card["note"] = "retrained"
    model.estimators["employed_1y"] = model.estimators["retained_1y"]  # different bytes
    save_model(model, copy)
    with pytest.raises(ConflictError, match="changed since run R0000"):
        replay_run(registry, run_id=run.run.id)
    before = table_counts(registry)
    with pytest.raises(ConflictError, match=f"Model {info.id}"):
        create_run(registry, policy="balanced", key="canada-population")
    assert table_counts(registry) == before


def test_run_show_has_model_and_surplus_before_and_after(registry: Context, tmp_path: Path,
                                                         model_dirs: dict[str, Path]) -> None:
    _families(registry, tmp_path)
    add_model(registry, path=model_dirs["good"])
    run = create_run(registry, policy="balanced", key="canada-population")
    shown = show_run(registry, run_id=run.run.id).as_dict()
    assert shown["model"]["id"] == "M0001" and len(shown["model"]["sha256"]) == 64
    rows = {d["code"]: d for d in shown["destinations"]}
    assert {"ON", "NB", "AB", "MB", "QC"} <= set(rows)
    moved_in: dict[str, int] = {}
    for rec in run.recommendations:
        if rec.destination and rec.destination != "QC":
            moved_in[rec.destination] = moved_in.get(rec.destination, 0) + rec.persons
            moved_in["QC"] = moved_in.get("QC", 0) - rec.persons
    assert moved_in, "the plan moves someone"
    for code, row in rows.items():
        assert row["surplus_after"] - row["surplus_before"] == pytest.approx(
            moved_in.get(code, 0)), code
