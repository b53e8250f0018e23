"""The benchmark harness's pure parts: percentile math, ratios and verdicts, table layout, JSON shape.

No timing is asserted here: figures come from `make bench`, never from tests.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.loadgen import BadSpec, Target
from bench.report import (
    Row,
    figures_document,
    format_markdown,
    format_table,
    latency_summary,
    percentile,
    ratio,
    write_json,
)
from bench.run import QUICK, _db_rows
from bench.scenarios import build_rows, chart_series, long_ends


def test_percentile_interpolates_between_closest_ranks() -> None:
    samples = [4.0, 1.0, 3.0, 2.0, 5.0]
    assert percentile(samples, 0.0) == 1.0
    assert percentile(samples, 0.5) == 3.0
    assert percentile(samples, 1.0) == 5.0
    assert percentile(samples, 0.25) == 2.0
    assert percentile([10.0, 20.0], 0.95) == pytest.approx(19.5)
    assert percentile(list(map(float, range(1, 101))), 0.99) == pytest.approx(99.01)


def test_percentile_of_one_sample_is_that_sample() -> None:
    assert percentile([7.5], 0.99) == 7.5


@pytest.mark.parametrize("samples, fraction", [([], 0.5), ([1.0], -0.1), ([1.0], 1.5)])
def test_percentile_rejects_bad_input(samples: list[float], fraction: float) -> None:
    with pytest.raises(ValueError):
        percentile(samples, fraction)


def test_latency_summary_reports_milliseconds() -> None:
    summary = latency_summary([0.010, 0.020, 0.030, 0.040, 0.100])
    assert summary["count"] == 5
    assert summary["p50_ms"] == pytest.approx(30.0)
    assert summary["p95_ms"] == pytest.approx(88.0)
    assert summary["max_ms"] == pytest.approx(100.0)


def test_latency_summary_of_nothing_is_nan_not_a_crash() -> None:
    summary = latency_summary([])
    assert summary["count"] == 0
    assert math.isnan(summary["p99_ms"])


def test_ratio_handles_missing_and_zero() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None
    assert ratio(1.0, 0.0) is None
    assert ratio(float("nan"), 1.0) is None


def test_row_verdicts() -> None:
    assert Row("throughput", "msg/s", 10.0, 16.0, target=1.5, higher_is_better=True).verdict == "met"
    assert Row("throughput", "msg/s", 10.0, 14.0, target=1.5, higher_is_better=True).verdict == "MISSED"
    assert Row("p95", "ms", 100.0, 120.0, target=1.2).verdict == "met"
    assert Row("p95", "ms", 100.0, 121.0, target=1.2).verdict == "MISSED"
    assert Row("start-up", "s", 30.0, 19.0, target=20, absolute=True).verdict == "met"
    assert Row("start-up", "s", 5.0, 21.0, target=20, absolute=True).verdict == "MISSED"
    assert Row("won", "orders", None, 50.0, target=50.0, exact=True).verdict == "met"
    assert Row("won", "orders", None, 51.0, target=50.0, exact=True).verdict == "MISSED"
    assert Row("no target", "ms", 1.0, 2.0).verdict == ""
    assert Row("no baseline", "ms", None, 2.0, target=1.2).verdict == ""


def test_table_lines_up_and_shows_ratio_and_target() -> None:
    rows = [
        Row("p95 latency, 1 sender(s)", "ms", 120.0, 90.0, target=1.2),
        Row("start-up until first answer", "s", 12.3, 25.0, target=20, absolute=True),
        Row("stock lookup p99", "ms", None, 3.25),
    ]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["figure", "unit", "baseline", "ours", "ours/base", "target"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 5
    assert "0.75x" in lines[2] and "<= 1.2x base" in lines[2] and lines[2].endswith("met")
    assert "2.03x" in lines[3] and "ours <= 20 s" in lines[3] and lines[3].endswith("MISSED")
    assert lines[4].split()[-2:] == ["3.25", "-"]
    # numeric columns are right-aligned: every ratio cell ends where the header "ours/base" ends
    end = lines[0].index("ours/base") + len("ours/base")
    assert [line[end - 1] for line in lines[2:]] == ["x", "x", "-"]


def test_markdown_table_has_one_line_per_row() -> None:
    text = format_markdown([Row("a", "ms", 1.0, 2.0, target=1.2), Row("b", "s", None, 3.0)])
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[2] == "| a | ms | 1.00 | 2.00 | 2.00x | <= 1.2x base | MISSED |"
    assert lines[3] == "| b | s | - | 3.00 | - |  |  |"


def test_json_document_shape(tmp_path) -> None:
    rows = [Row("p50", "ms", 10.0, float("nan"), target=1.2)]
    document = figures_document({"profile": "quick"}, {"chat": {}}, rows)
    path = tmp_path / "out" / "bench.json"
    write_json(path, document)
    loaded = json.loads(path.read_text())
    assert set(loaded) == {"schema", "meta", "results", "table"}
    assert loaded["schema"] == 1
    assert loaded["table"] == [
        {
            "label": "p50", "unit": "ms", "baseline": 10.0, "ours": None, "ratio": None, "target": 1.2,
            "higher_is_better": False, "absolute": False, "exact": False, "verdict": None, "note": None,
        }
    ]


def _concurrency(throughput: float, p50_s: float) -> dict:
    latencies = [p50_s] * 9 + [p50_s * 2]
    return {"throughput_rps": throughput, "latencies_s": latencies, "errors": 0, "summary": latency_summary(latencies)}


def test_build_rows_from_scenario_results() -> None:
    def lane(label: str, throughput: float, latency: float, long_growth: float, second: float) -> dict:
        turns = QUICK.long_turns
        return {
            "label": label,
            "concurrency": {senders: _concurrency(throughput, latency) for senders in QUICK.concurrency},
            "long": {"latencies_s": [latency] * (turns - QUICK.window) + [latency * long_growth] * QUICK.window},
            "back_to_back": {"lone_s": [latency] * 3, "second_s": [second] * 3, "first_s": [latency] * 3},
        }

    chat = {
        "baseline/single": lane("baseline, 'hello'", 10.0, 0.1, 4.0, 1.1),
        "baseline/mix": lane("baseline, mix", 10.0, 0.1, 4.0, 1.1),
        "ours/single": lane("stock question", 20.0, 0.05, 1.0, 0.05),
        "ours/mix": lane("mix", 12.0, 0.05, 1.5, 0.05),
        "prod1/mix": {"label": "production 1", "concurrency": {s: _concurrency(8.0, 0.1) for s in QUICK.concurrency}},
        "prod2/mix": {"label": "production 2", "concurrency": {s: _concurrency(12.0, 0.1) for s in QUICK.concurrency}},
    }
    starts = {"baseline": {"seconds": 15.0}, "ours": {"seconds": 10.0}, "production": {"seconds": 40.0}}
    rows = {row.label: row for row in build_rows(chat, starts, QUICK)}
    assert rows["stock question: throughput, 32 sender(s)"].ratio == 2.0
    assert rows["stock question: throughput, 1 sender(s)"].verdict == "met"  # issue 15: >= 1.5x at 1 sender too
    assert rows["mix: throughput, 8 sender(s)"].verdict == "MISSED"  # 1.2x
    assert rows["stock question: p95 latency, 1 sender(s)"].verdict == "met"
    growth = rows[f"stock question: turn {QUICK.long_turns} / turn 1 (p50 of {QUICK.window})"]
    assert growth.baseline == pytest.approx(4.0) and growth.ours == pytest.approx(1.0) and growth.verdict == "met"
    assert rows[f"mix: turn {QUICK.long_turns} / turn 1 (p50 of {QUICK.window})"].verdict == "MISSED"
    assert rows["stock question: second / lone"].baseline == pytest.approx(11.0)
    # Production lanes are compared with the baseline's mix, without a target, plus the mode ratios.
    assert rows["production 2: throughput, 8 sender(s)"].verdict == ""
    second_replica = rows["production 2 replicas / 1 replica: throughput, 8 sender(s)"]
    assert (second_replica.baseline, second_replica.ours, second_replica.ratio) == (8.0, 12.0, 1.5)
    assert rows["production 1 replica / embedded: throughput, 1 sender(s)"].ratio == pytest.approx(8.0 / 12.0)
    assert rows["start-up until first answer"].verdict == "met"
    assert rows["start-up until first answer, production (2 pairs at once)"].ours == 40.0
    series = chart_series(chat)
    assert sorted(series["stock question"]) == sorted(QUICK.concurrency)
    assert series["stock question"][8]["throughput_rps"] == 20.0 and len(series) == 6


def test_db_rows_say_why_postgres_is_missing() -> None:
    rows = _db_rows({"postgres_unavailable": "connection refused"})
    assert [row.note for row in rows] == ["skipped: connection refused"]


def test_reservation_rows_judge_the_winners() -> None:
    db = {"postgres_race": {"attempts": 1000, "units": 50, "successes": 50, "reserved_in_db": 50, "errors": 0,
                            "reservations_per_s": 400.0}}
    rows = {row.label: row for row in _db_rows(db)}
    assert rows["reservations won (1000 racing for 50)"].verdict == "met"


def test_long_ends_skips_failed_turns() -> None:
    first, last = long_ends([0.1, float("nan"), 0.3, 0.5, 0.7, float("nan")], 3)
    assert first == pytest.approx(200.0)
    assert last == pytest.approx(600.0)


def test_loadgen_accepts_only_loopback_targets() -> None:
    good = Target.from_spec({"kind": "rest", "url": "http://127.0.0.1:5005/", "messages": ["hi"]})
    assert good.request("s1", "hi") == ("http://127.0.0.1:5005/webhooks/rest/webhook", {"sender": "s1", "message": "hi"})
    with pytest.raises(BadSpec):
        Target.from_spec({"kind": "rest", "url": "http://example.com:5005", "messages": ["hi"]})
    with pytest.raises(BadSpec):  # an SMS target without its Twilio settings
        Target.from_spec({"kind": "sms", "url": "http://127.0.0.1:1", "messages": ["hi"]})
    with pytest.raises(BadSpec):
        Target.from_spec({"kind": "telegram", "url": "http://127.0.0.1:1", "messages": ["hi"]})
    with pytest.raises(BadSpec):
        Target.from_spec({"kind": "rest", "url": "http://127.0.0.1:1", "messages": []})


def test_webchat_senders_look_like_the_page_ids() -> None:
    from bot.messaging.web_lines import WEB_CONVERSATION_ID

    target = Target.from_spec({"kind": "webchat", "url": "http://127.0.0.1:5055", "messages": ["hi"]})
    sender = target.new_sender()
    assert WEB_CONVERSATION_ID.match(sender)
    assert target.request(sender, "hi") == ("http://127.0.0.1:5055/chat/api/messages", {"conversation_id": sender, "text": "hi"})


def test_rounds_merge_into_one_result_over_their_whole_time() -> None:
    from bench.scenarios import merge_rounds

    first = {"senders": 8, "latencies_s": [0.1, 0.2], "errors": 0, "error_samples": [], "wall_s": 1.0, "throughput_rps": 2.0}
    second = {"senders": 8, "latencies_s": [0.3] * 6, "errors": 1, "error_samples": ["HTTP 500"], "wall_s": 3.0,
              "throughput_rps": 2.0}
    merged = merge_rounds([first, second])
    assert merged["latencies_s"] == [0.1, 0.2] + [0.3] * 6
    assert (merged["errors"], merged["error_samples"], merged["wall_s"]) == (1, ["HTTP 500"], 4.0)
    assert merged["throughput_rps"] == 8 / 4.0 and merged["rounds"] == 2


def test_cpu_per_message_counts_every_turn_the_system_served() -> None:
    from bench.scenarios import merge_rounds

    part = {"senders": 1, "latencies_s": [0.1] * 6, "errors": 1, "wall_s": 1.0, "cpu_s": 0.45, "warmup_turns": 2}
    merged = merge_rounds([part, part])
    # 12 timed turns, 2 failed and 4 warm-up turns were all served within the 0.9 s of CPU read around the runs
    assert merged["cpu_s"] == pytest.approx(0.9) and merged["cpu_ms_per_message"] == pytest.approx(50.0)


def test_a_fresh_clone_gets_its_log_folder(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # `make bench` on a fresh clone failed: bench/out/logs did not exist when the baseline's log opened.
    from bench import baseline

    monkeypatch.setattr(baseline, "baseline_dir", lambda: tmp_path / "cache" / "bench-baseline")
    monkeypatch.setattr(baseline, "RASA", Path("/bin/true"))  # "trains" nothing: no model is left behind
    log_file = tmp_path / "out" / "logs" / "baseline-init.log"
    with pytest.raises(RuntimeError, match="rasa init failed"):
        baseline.ensure_baseline({}, log_file=log_file)
    assert log_file.exists()


def test_the_spread_of_several_runs_gives_each_target_its_range_and_count_met(tmp_path) -> None:
    from bench.spread import format_spread, spread

    def run(throughput_ratio: float, startup: float, won: float, load: float) -> dict:
        rows = [Row("throughput, 8 sender(s)", "msg/s", 10.0, 10.0 * throughput_ratio, target=1.5, higher_is_better=True),
                Row("p50 latency", "ms", 10.0, 12.0),  # no target: not in the spread
                Row("start-up until first answer", "s", 30.0, startup, target=20, absolute=True),
                Row("reservations won", "orders", None, won, target=50.0, exact=True)]
        document = figures_document({"started": "t", "profile": "full", "load_average_at_start": [load, 0, 0],
                                     "load_average_at_end": [load + 1, 0, 0], "wall_s": 600}, {}, rows)
        path = tmp_path / f"run-{load}.json"
        write_json(path, document)  # the spread reads runs as the JSON files hold them
        return json.loads(path.read_text())

    documents = [run(1.4, 12.0, 50.0, 3.0), run(1.6, 25.0, 50.0, 9.0), run(1.7, 14.0, 49.0, 12.0)]
    entries = {entry["label"]: entry for entry in spread(documents)}
    assert list(entries) == ["throughput, 8 sender(s)", "start-up until first answer", "reservations won"]
    throughput = entries["throughput, 8 sender(s)"]
    assert (throughput["min"], throughput["median"], throughput["max"]) == pytest.approx((1.4, 1.6, 1.7))
    assert (throughput["met"], throughput["runs"]) == (2, 3)
    assert (entries["start-up until first answer"]["median"], entries["start-up until first answer"]["met"]) == (14.0, 2)
    assert entries["reservations won"]["min"] == 49.0 and entries["reservations won"]["met"] == 2
    text = format_spread(list(entries.values()), documents)
    assert "| throughput, 8 sender(s) >= 1.5 | ours / baseline | 1.40 | 1.60 | 1.70 | 2 of 3 |" in text
    assert "| reservations won == 50 | ours (orders) | 49.00 | 50.00 | 50.00 | 2 of 3 |" in text
    assert "load 9.00 -> 10.00" in text


def test_cpu_seconds_counts_the_processes_own_cpu_and_skips_gone_ones() -> None:
    import os
    import time

    from bench.scenarios import cpu_seconds

    before = cpu_seconds([os.getpid(), 2**22 + 7])  # the second pid does not exist
    spent = time.process_time()
    while time.process_time() - spent < 0.2:  # burn 0.2 s of CPU in this process
        pass
    assert cpu_seconds([os.getpid()]) - before >= 0.15
