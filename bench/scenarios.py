"""The chat scenarios of a run, played lane by lane, and the table rows made of their results.

A lane is one system played one way: a workload (the shopper mix, or the full stock question alone) through
one path (web chat, SMS webhooks, REST for the baseline) in one mode (embedded, production with 1 or 2
replicas). Every lane runs in the same minutes as the others: each concurrency level is split into rounds
whose order alternates, so the machine's drifting speed weighs on every lane alike.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

from bench.report import Row, latency_summary
from scripts.shop_env import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")


@dataclass(frozen=True)
class Lane:
    key: str  # "baseline/mix", "ours/single", "sms/mix", "prod1/mix", ...
    label: str  # how the table and the chart name it
    system: Any  # what serves it (alive(), log_tail)
    target: dict[str, Any]  # the load generator's target
    long_and_pairs: bool = False  # also one long conversation and the back-to-back pairs
    processes: Callable[[], dict[str, int]] | None = None  # pids whose CPU the lane uses (default: the system's)

    def pids(self) -> list[int]:
        found = self.processes() if self.processes else self.system.pids() if hasattr(self.system, "pids") else {}
        return list(found.values())


# The lanes judged against the baseline by issue 15's targets, and the baseline lane each is judged against.
JUDGED = (("ours/single", "baseline/single"), ("ours/mix", "baseline/mix"))
# The other lanes, compared with the baseline's mix without a target (figures for docs/performance.md).
COMPARED = ("sms/mix", "prod1/mix", "prod2/mix")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc); a process that is gone counts 0."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def progress(text: str) -> None:
    import time

    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def loadgen(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Runs one scenario in the load-generator process; its progress goes to our stderr."""
    result = subprocess.run(
        [PYTHON, "-m", "bench.loadgen", "-"], input=json.dumps(spec),
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed ({result.returncode}) on {spec.get('scenario')}")
    return json.loads(result.stdout)


def run_chat_scenarios(lanes: list[Lane], profile: Any, require_alive: Callable[[Lane], None],
                       play: Callable[[dict[str, Any], float], dict[str, Any]] = loadgen) -> dict[str, dict[str, Any]]:
    """Every chat scenario of every lane; `play` runs one load-generator spec."""
    results: dict[str, dict[str, Any]] = {lane.key: {"label": lane.label, "concurrency": {}} for lane in lanes}
    budget = profile.scenario_max_seconds
    for senders, requests in profile.concurrency.items():
        parts: dict[str, list[dict[str, Any]]] = {lane.key: [] for lane in lanes}
        for round_number in range(profile.rounds):
            order = lanes if round_number % 2 == 0 else list(reversed(lanes))
            for lane in order:
                count = requests // profile.rounds
                progress(f"{lane.label}: {senders} concurrent sender(s), {count} turns (round {round_number + 1}/{profile.rounds})")
                pids = lane.pids()
                cpu_before = cpu_seconds(pids)
                raw = play({"target": lane.target, "scenario": "concurrency", "senders": senders, "requests": count,
                            "max_seconds": budget}, budget + 120)
                raw["cpu_s"] = cpu_seconds(pids) - cpu_before  # the system's own processes (not the shared services)
                parts[lane.key].append(raw)
                progress(f"  {raw['throughput_rps']:.1f} msg/s, errors {raw['errors']}")
                require_alive(lane)
        for lane in lanes:
            merged = merge_rounds(parts[lane.key])
            merged["summary"] = latency_summary(merged["latencies_s"])
            results[lane.key]["concurrency"][senders] = merged
            summary = merged["summary"]
            progress(f"{lane.label}, {senders} sender(s) overall: {merged['throughput_rps']:.1f} msg/s, "
                     f"p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, errors {merged['errors']}")
    paired = [lane for lane in lanes if lane.long_and_pairs]
    for lane in paired:
        progress(f"{lane.label}: one conversation of {profile.long_turns} turns")
        results[lane.key]["long"] = play({"target": lane.target, "scenario": "long", "turns": profile.long_turns,
                                          "max_seconds": budget * 3}, budget * 3 + 120)
        require_alive(lane)
    for lane in paired:
        progress(f"{lane.label}: back-to-back pairs vs lone messages ({profile.back_to_back_repeats} repeats)")
        results[lane.key]["back_to_back"] = play(
            {"target": lane.target, "scenario": "back_to_back", "repeats": profile.back_to_back_repeats}, budget + 120)
        require_alive(lane)
    return results


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One concurrency result from several rounds: all latencies, summed errors and wall time."""
    latencies = [value for part in rounds for value in part["latencies_s"]]
    wall = sum(part["wall_s"] for part in rounds)
    by_kind: dict[str, list[float]] = {}
    for part in rounds:
        for kind, values in part.get("latencies_by_kind_s", {}).items():
            by_kind.setdefault(kind, []).extend(values)
    samples: dict[str, Any] = {}
    cpu = sum(part.get("cpu_s", 0.0) for part in rounds)
    for part in rounds:
        for kind, sample in part.get("reply_samples", {}).items():
            samples.setdefault(kind, sample)
    return {
        "senders": rounds[0]["senders"],
        "rounds": len(rounds),
        "reply_samples": samples,
        "latencies_s": latencies,
        "latencies_by_kind_s": by_kind,
        "errors": sum(part["errors"] for part in rounds),
        "error_samples": [sample for part in rounds for sample in part.get("error_samples", [])][:3],
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall if wall > 0 else 0.0,
        "cpu_s": cpu,
        # The CPU was read around the whole load-generator run: its warm-up and failed turns used it too.
        "cpu_ms_per_message": cpu / turns * 1000 if (turns := len(latencies) + sum(
            part["errors"] + part.get("warmup_turns", 0) for part in rounds)) else None,
    }


def long_ends(latencies_s: list[float], window: int) -> tuple[float, float]:
    """p50 (ms) of the first and of the last `window` turns, ignoring failed turns (NaN)."""
    first = [value for value in latencies_s[:window] if value == value]
    last = [value for value in latencies_s[-window:] if value == value]
    return latency_summary(first)["p50_ms"], latency_summary(last)["p50_ms"]


def build_rows(chat: dict[str, dict[str, Any]], starts: dict[str, dict[str, Any]], profile: Any) -> list[Row]:
    """The chat part of the table: judged lanes with their targets, then the other lanes and the mode ratios."""
    rows: list[Row] = []
    for ours_key, base_key in JUDGED:
        if ours_key in chat and base_key in chat:
            rows += _lane_rows(chat[ours_key], chat[base_key], profile, judged=True)
    for key in COMPARED:
        if key in chat and "baseline/mix" in chat:
            rows += _lane_rows(chat[key], chat["baseline/mix"], profile, judged=False)
    rows += _mode_rows(chat, profile)
    base_start = starts.get("baseline", {}).get("seconds")
    if "ours" in starts:
        rows.append(Row("start-up until first answer", "s", base_start, starts["ours"]["seconds"], target=20, absolute=True))
    if "production" in starts:
        rows.append(Row("start-up until first answer, production (2 pairs at once)", "s", base_start,
                        starts["production"]["seconds"]))
    return rows


def _lane_rows(ours: dict[str, Any], base: dict[str, Any], profile: Any, judged: bool) -> list[Row]:
    name = ours["label"]
    rows: list[Row] = []
    for senders in profile.concurrency:
        b, o = base["concurrency"][senders], ours["concurrency"][senders]
        rows.append(Row(f"{name}: throughput, {senders} sender(s)", "msg/s", b["throughput_rps"], o["throughput_rps"],
                        target=1.5 if judged else None, higher_is_better=True,
                        note=f"errors {b['errors']}/{o['errors']}" if b["errors"] or o["errors"] else ""))
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            rows.append(Row(f"{name}: {key[:3]} latency, {senders} sender(s)", "ms", b["summary"][key], o["summary"][key],
                            target=1.2 if (judged and senders == 1 and key == "p95_ms") else None))
        if o.get("cpu_ms_per_message") is not None:
            rows.append(Row(f"{name}: CPU per message (its own processes), {senders} sender(s)", "ms",
                            b.get("cpu_ms_per_message"), o["cpu_ms_per_message"]))
        if len(o.get("latencies_by_kind_s", {})) > 1:
            rows += _kind_rows(name, senders, b, o)
    if "long" in ours and "long" in base:
        window, turns = profile.window, profile.long_turns
        b_first, b_last = long_ends(base["long"]["latencies_s"], window)
        o_first, o_last = long_ends(ours["long"]["latencies_s"], window)
        rows += [
            Row(f"{name}: p50 latency, turns 1-{window}", "ms", b_first, o_first),
            Row(f"{name}: p50 latency, turns {turns - window + 1}-{turns}", "ms", b_last, o_last),
            Row(f"{name}: turn {turns} / turn 1 (p50 of {window})", "x", b_last / b_first, o_last / o_first,
                target=1.2 if judged else None, absolute=True),
        ]
    if "back_to_back" in ours and "back_to_back" in base:
        b_pair, o_pair = base["back_to_back"], ours["back_to_back"]
        b_lone, o_lone = latency_summary(b_pair["lone_s"])["p50_ms"], latency_summary(o_pair["lone_s"])["p50_ms"]
        b_second, o_second = latency_summary(b_pair["second_s"])["p50_ms"], latency_summary(o_pair["second_s"])["p50_ms"]
        rows += [
            Row(f"{name}: lone message (p50)", "ms", b_lone, o_lone),
            Row(f"{name}: second of two back to back (p50)", "ms", b_second, o_second),
            Row(f"{name}: second / lone", "x", b_second / b_lone, o_second / o_lone, target=1.2 if judged else None,
                absolute=True),
        ]
    return rows


def _kind_rows(name: str, senders: int, base: dict[str, Any], ours: dict[str, Any]) -> list[Row]:
    """Our p50/p95 per message kind of the mix, each against the baseline's whole mix (it has one kind)."""
    rows: list[Row] = []
    base_summary = base["summary"]
    for kind, values in sorted(ours.get("latencies_by_kind_s", {}).items()):
        summary = latency_summary(values)
        for key in ("p50_ms", "p95_ms"):
            rows.append(Row(f"  {name}: {kind} ({len(values)} turns) {key[:3]}, {senders} sender(s)", "ms",
                            base_summary[key], summary[key]))
    return rows


def _mode_rows(chat: dict[str, dict[str, Any]], profile: Any) -> list[Row]:
    """What production mode costs against embedded, and what a second replica buys, as throughput ratios."""
    rows: list[Row] = []
    pairs = (("prod1/mix", "ours/mix", "production 1 replica / embedded"), ("prod2/mix", "prod1/mix", "production 2 replicas / 1 replica"))
    for top, bottom, label in pairs:
        if top in chat and bottom in chat:
            for senders in profile.concurrency:
                rows.append(Row(f"{label}: throughput, {senders} sender(s)", "msg/s",
                                chat[bottom]["concurrency"][senders]["throughput_rps"],
                                chat[top]["concurrency"][senders]["throughput_rps"],
                                note=f"columns: {bottom} | {top}"))
    return rows


def chart_series(chat: dict[str, dict[str, Any]]) -> dict[str, dict[int, dict[str, float]]]:
    return {
        results["label"]: {
            senders: {"p50_ms": raw["summary"]["p50_ms"], "p95_ms": raw["summary"]["p95_ms"], "throughput_rps": raw["throughput_rps"]}
            for senders, raw in results["concurrency"].items()
        }
        for results in chat.values()
    }
