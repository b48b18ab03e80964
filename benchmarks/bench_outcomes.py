"""Outcome models on the synthetic history: training time, accuracy vs the oracle, back-test.

    .venv/bin/python -m benchmarks outcomes            # 200,000 persons (the issue's target)
    BENCH_OUTCOMES_PERSONS=20000 .venv/bin/python -m benchmarks outcomes   # quick run

Baseline measured in the same run: ONE plain logistic regression fit (no cross-validation, no
calibration) of the employment outcome on the same design matrix. The full training fits three
outcomes, each calibrated with 3-fold CalibratedClassifierCV (whose folds also give the
cross-validated metrics), and writes the model and its card.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(*args: str, cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "fairshare", *args], cwd=cwd, check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def _baseline_fit_seconds(history: Path, model_dir: Path) -> float:
    import warnings

    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    from fairshare.outcomes.dataio import read_csv
    from fairshare.outcomes.features import prepare
    from fairshare.outcomes.train import holdout_mask, load_model

    model = load_model(model_dir)
    frame = prepare(read_csv(history), source=str(history), outcomes=True)
    train = frame[~holdout_mask(frame, model.card)]
    x = model.encoder.design(train)
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        LogisticRegression(solver="newton-cholesky", max_iter=300).fit(
            x, train["employed_1y"].to_numpy())
    return time.perf_counter() - start


def main() -> None:
    persons = int(os.environ.get("BENCH_OUTCOMES_PERSONS", "200000"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t_synth, _ = _run("synth", "history", "--persons", str(persons), "--seed", "2026",
                          "--out", "history.csv", cwd=work)
        t_train, _ = _run("outcomes", "train", "--data", "history.csv", "--out", "model",
                          "--format", "json", cwd=work)
        t_eval, out = _run("outcomes", "evaluate", "--model", "model", "--data", "history.csv",
                           "--format", "json", cwd=work)
        t_base = _baseline_fit_seconds(work / "history.csv", work / "model")
    result = json.loads(out)
    bt = result["backtest"]
    print(f"persons: {persons:,}; held-out cohort: {result['holdout']['persons']:,} persons; "
          f"back-test on {bt['cohort']['families']:,} families ({bt['cohort']['persons']:,} "
          "persons)")
    print(f"synth history:            {t_synth:7.1f} s")
    print(f"outcomes train (CLI):     {t_train:7.1f} s   target < 120 s: "
          f"{'met' if t_train < 120 else 'NOT met'}")
    print(f"baseline: 1 plain fit:    {t_base:7.1f} s   train / baseline = {t_train / t_base:.1f}x "
          "(3 outcomes x 3 calibrated folds + I/O + card)")
    print(f"outcomes evaluate (CLI):  {t_eval:7.1f} s   (200 bootstrap samples, back-test "
          f"{bt['seconds']:.1f} s)")
    for outcome, entry in result["outcomes"].items():
        print(f"  {outcome:14s} AUC {entry['auc']:.4f}  oracle {entry['oracle_auc']:.4f}  "
              f"gap {entry['auc_gap']:+.4f}  Brier {entry['brier']:.4f}")
    print("back-test (true employment rate, gain vs status quo):")
    for name, plan in bt["plans"].items():
        print(f"  {name:24s} {plan['true_rate']:.4f}  {plan['gain_vs_status_quo']:+.1%}  "
              f"(engine {plan['solver']}, {plan['status']}, gap {plan['gap']}, "
              f"{plan['families_left_in_place']} families left in place)")
    print(f"groups worse off than status quo: {bt['groups_worse_off'] or 'none'}")
    targets = {"gain >= 0.30": result["gain_vs_status_quo"] >= 0.30,
               "no group worse off": not bt["groups_worse_off"],
               "AUC within 0.02 of oracle": result["auc_gap"] <= 0.02,
               "train < 120 s": t_train < 120}
    print("targets: " + ", ".join(f"{k}: {'met' if v else 'NOT met'}" for k, v in targets.items()))


if __name__ == "__main__":
    main()
