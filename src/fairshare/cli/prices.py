"""`fairshare prices update|show`: destination prices from the registry's recent arrivals (issue 11)."""

from __future__ import annotations

from typing import cast

import typer

from fairshare.cli import app
from fairshare.cli.registry import BY_OPTION, _ctx, _db_errors, _json
from fairshare.cli.render import FORMAT_OPTION, OutputFormat, render

prices_app = typer.Typer(help="Destination prices for online runs (`run create --online`), "
                              "from the registry's recent arrivals.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


def _show(info: dict[str, object], fmt: OutputFormat, title: str) -> None:
    if fmt is OutputFormat.json:
        _json(info)
        return
    prices = cast("dict[str, float]", info["prices"])
    render([{"destination": c, "price_per_person": p} for c, p in sorted(prices.items())], fmt,
           title=title, caption=f"horizon {info['horizon_days']} days, {info['samples']} "
                                f"sample(s), seed {info['seed']}, model {info['model_id']}, "
                                f"inputs {str(info['inputs_sha256'])[:12]}, computed "
                                f"{info['computed_at']} by {info['created_by']}")


@prices_app.command("update")
@_db_errors
def prices_update(horizon: str = typer.Option("183d", "--horizon", help="Days of recent "
                                              "arrivals sampled, and how far ahead the "
                                              "futures run (183d or 183)."),
                  samples: int = typer.Option(5, "--samples", help="Sampled futures averaged "
                                              "(at least 1)."),
                  seed: int = typer.Option(0, "--seed", help="Seed of the sampling."),
                  key: str = typer.Option("canada-population", "--key",
                                          help="Distribution key of the fair-share gaps (as "
                                               "for `run create`)."),
                  model: str | None = typer.Option(None, "--model", metavar="ID",
                                                   help="A model id, or 'default' (default: "
                                                        "the latest added model, else the "
                                                        "default scorer)."),
                  by: str | None = BY_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Price each destination's capacity from the dual of an assignment LP over futures
    sampled from the last HORIZON of arrivals, and store the prices (audited, with their
    inputs' SHA-256)."""
    from fairshare.service import update_prices
    from fairshare.service.prices import parse_horizon

    info = update_prices(_ctx(), horizon_days=parse_horizon(horizon), samples=samples,
                         seed=seed, key=key, model=model, actor=by)
    _show(info.as_dict(), fmt, f"Prices {info.id} ({info.recent_arrivals} recent arrivals)")


@prices_app.command("show")
@_db_errors
def prices_show(fmt: OutputFormat = FORMAT_OPTION) -> None:
    """The latest stored prices (the ones `run create --online` uses)."""
    from fairshare.service import latest_prices

    info = latest_prices(_ctx())
    _show(info.as_dict(), fmt, f"Prices {info.id}")
