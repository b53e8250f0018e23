"""The bounded chaos run (CI): shoppers chat, order and pay through nginx (deploy/nginx.conf) while kill -9
hits a random Rasa replica, bot server or the sweeper, which is then started again. `make chaos` runs the
same for longer (CHAOS_SECONDS, CHAOS_SHOPPERS). The figures are printed and written to chaos-figures.json
in the logs.

nginx is required: without it the run would measure a topology production does not have (shoppers choosing
a bot server, each bot server tied to one Rasa replica). Where it is missing the test skips locally
(`make nginx` installs it) and fails under CI=true (tests/production/nginx.py), like a missing service.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from tests.production.chaos import run_chaos
from tests.production.conftest import Production, deployment
from tests.production.nginx import nginx_binary

pytestmark = [pytest.mark.production, pytest.mark.e2e]


@pytest.fixture
def behind_nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    """A deployment of its own (not the fault suite's paired one): nginx in front, as in docs/production.md."""
    nginx_binary()  # skip or fail before any replica starts
    with deployment(tmp_path_factory.mktemp("chaos"), behind_nginx=True) as production:
        yield production


@pytest.mark.timeout(1800)
def test_shoppers_under_kill_9_lose_no_line_do_nothing_twice_and_get_every_notice_once(behind_nginx: Production, tmp_path: Path) -> None:
    production = behind_nginx
    seconds = float(os.environ.get("CHAOS_SECONDS", "90"))
    shoppers = int(os.environ.get("CHAOS_SHOPPERS", "4"))
    figures = run_chaos(production, tmp_path, seconds, shoppers, seed=int(os.environ.get("CHAOS_SEED", "18")))
    report = figures.as_json()
    print(f"chaos figures:\n{report}")
    (Path(os.environ.get("CHAOS_FIGURES", tmp_path / "chaos-figures.json"))).write_text(report)
    if figures.answered == 0 or figures.lost:
        for name in ("bot-0", "bot-1", "rasa-0", "rasa-1"):
            print(f"----- {name} -----\n{production.replicas[name].log_tail(4000)}")
    # Not vacuous: something was killed while shoppers chatted through nginx, answered, ordered and paid.
    assert sum(figures.kills.values()) >= 1 and figures.lines_sent > 0, report
    assert figures.page_saw.get("200", 0) > 0, report  # nginx passed shoppers' requests to a bot server
    assert figures.answered > 0 and figures.orders > 0 and figures.payments > 0, report
    # Every line sent has exactly one place in the figures: a line cannot drop out of the count unseen.
    assert figures.answered + figures.apologised + figures.lost + figures.not_accepted == figures.lines_sent, report
    assert figures.lost == 0 and figures.apologised_and_answered == 0, report  # one outcome per line
    assert figures.duplicated_side_effects == 0, report
    assert (figures.notices_delivered, figures.notices_doubled) == (figures.notices_due, 0), report
