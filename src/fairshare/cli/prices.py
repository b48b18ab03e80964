"""`fairshare prices update|show`: destination prices from the registry's recent arrivals (issue 11)."""

from __future__ import annotations

from typing import cast

import typer

from fairshare.cli.groups import app
from fairshare.cli.registry import BY_OPTION, _ctx, _db_errors, _json
from fairshare.cli.render import FORMAT_OPTION, HELP, OutputFormat, cli_text, render

prices_app = typer.Typer(help=HELP.t("cli_help_prices"), no_args_is_help=True)
app.add_typer(prices_app, name="prices")


def _show(info: dict[str, object], fmt: OutputFormat, title: str) -> None:
    if fmt is OutputFormat.json:
        _json(info)
        return
    prices = cast("dict[str, float]", info["prices"])
    render([{"destination": c, "price_per_person": p} for c, p in sorted(prices.items())], fmt,
           title=title, caption=cli_text().t(
               "cli_caption_prices", days=info["horizon_days"], samples=info["samples"],
               seed=info["seed"], model=info["model_id"], inputs=str(info["inputs_sha256"])[:12],
               at=info["computed_at"], by=info["created_by"]))


@prices_app.command("update", help=HELP.t("cli_help_prices_update"))
@_db_errors
def prices_update(horizon: str = typer.Option("183d", "--horizon",
                                              help=HELP.t("cli_help_prices_update_horizon")),
                  samples: int = typer.Option(5, "--samples", help=HELP.t("cli_help_prices_update_samples")),
                  seed: int = typer.Option(0, "--seed", help=HELP.t("cli_help_prices_update_seed")),
                  key: str = typer.Option("canada-population", "--key",
                                          help=HELP.t("cli_help_prices_update_key")),
                  model: str | None = typer.Option(None, "--model", metavar="ID",
                                                   help=HELP.t("cli_help_prices_update_model")),
                  by: str | None = BY_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import update_prices
    from fairshare.service.prices import parse_horizon

    info = update_prices(_ctx(), horizon_days=parse_horizon(horizon), samples=samples,
                         seed=seed, key=key, model=model, actor=by)
    _show(info.as_dict(), fmt, cli_text().t("cli_title_prices_recent", id=info.id,
                                          arrivals=info.recent_arrivals))


@prices_app.command("show", help=HELP.t("cli_help_prices_show"))
@_db_errors
def prices_show(fmt: OutputFormat = FORMAT_OPTION) -> None:
    from fairshare.service import latest_prices

    info = latest_prices(_ctx())
    _show(info.as_dict(), fmt, cli_text().t("cli_title_prices", id=info.id))
