"""The bounded chaos run (CI): shoppers chat, order and pay while kill -9 hits a random Rasa replica, bot
server or the sweeper, which is then started again. `make chaos` runs the same for longer
(CHAOS_SECONDS, CHAOS_SHOPPERS). The figures are printed and written to chaos-figures.json in the logs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.production.chaos import run_chaos
from tests.production.conftest import Production

pytestmark = [pytest.mark.production, pytest.mark.e2e]


@pytest.mark.timeout(1500)
def test_shoppers_under_kill_9_lose_no_line_do_nothing_twice_and_get_every_notice_once(production: Production, tmp_path: Path) -> None:
    seconds = float(os.environ.get("CHAOS_SECONDS", "90"))
    shoppers = int(os.environ.get("CHAOS_SHOPPERS", "4"))
    figures = run_chaos(production, tmp_path, seconds, shoppers, seed=int(os.environ.get("CHAOS_SEED", "18")))
    report = figures.as_json()
    print(f"chaos figures:\n{report}")
    (Path(os.environ.get("CHAOS_FIGURES", tmp_path / "chaos-figures.json"))).write_text(report)
    if figures.answered == 0:
        for name in ("bot-0", "bot-1", "rasa-0", "rasa-1"):
            print(f"----- {name} -----\n{production.replicas[name].log_tail(4000)}")
    assert sum(figures.kills.values()) >= 1 and figures.lines_sent > 0
    assert figures.answered > 0
    assert figures.lost == 0, report
    assert figures.duplicated_side_effects == 0, report
    assert (figures.notices_delivered, figures.notices_doubled) == (figures.notices_due, 0), report
