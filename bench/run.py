"""`python -m bench [--quick]`: this assistant side by side with the stock `rasa init` assistant.

Order of work: models (trained once, cached) → start the baseline and measure its start-up → start
ours and measure its start-up → each load scenario on both, alternating, driven by a separate
load-generator process (bench/loadgen.py) → stop every process → database figures → table, JSON,
chart under bench/out/. Every process started here is stopped in a `finally`, also on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import dbbench
from bench.baseline import ensure_baseline
from bench.report import Row, figures_document, format_markdown, format_table, latency_summary, write_chart, write_json
from bench.systems import System, log_tail, prepare_database, start_baseline, start_ours, stop_all
from scripts.shop_env import PROJECT_ROOT, model_path, shop_environment

OUT_DIR = PROJECT_ROOT / "bench" / "out"
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PATH_NOTE = (
    "ours: web chat path (POST /chat/api/messages on the bot server -> Rasa web chat channel -> action server "
    "-> SQLite -> replies recorded; the POST returns when Rasa finished the turn). "
    "baseline: Rasa REST channel (POST /webhooks/rest/webhook). One Rasa process each, in-memory tracker and lock store."
)


@dataclass(frozen=True)
class Profile:
    name: str
    concurrency: dict[int, int]  # senders -> messages sent in all
    scenario_max_seconds: float
    long_turns: int
    window: int  # turns averaged at each end of the long conversation
    back_to_back_repeats: int
    skus: int
    stores: int
    lookups: int
    race_attempts: int
    race_units: int
    race_workers: int
    rounds: int = 1  # each concurrency level is split into rounds, alternating which system goes first


# Enough messages per scenario that one noisy second on a shared machine does not decide a ratio.
FULL = Profile("full", {1: 200, 8: 600, 32: 1200}, 180, 200, 10, 20, 10_000, 100, 5000, 1000, 50, 32, rounds=4)
QUICK = Profile("quick", {1: 12, 8: 32, 32: 64}, 30, 30, 5, 2, 1_000, 100, 300, 1000, 50, 32)


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def loadgen(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Runs one scenario in the load-generator process; its progress goes to our stderr."""
    result = subprocess.run(
        [PYTHON, "-m", "bench.loadgen", json.dumps(spec)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    if result.returncode != 0:
        raise RuntimeError(f"load generator failed ({result.returncode}) on {spec.get('scenario')}")
    return json.loads(result.stdout)


def ensure_our_model(env: dict[str, str], choice: str | None) -> Path:
    """The model to serve: `--model PATH`, `--model latest` (newest cached), else trained if needed."""
    if choice == "latest":
        cached = sorted(model_path().parent.glob("fellside-*.tar.gz"), key=lambda path: path.stat().st_mtime)
        if not cached:
            raise RuntimeError("no cached model yet: run `make model` first")
        if cached[-1] != model_path():
            progress(f"note: serving the newest cached model {cached[-1].name}, not one trained from the tree as it is now")
        return cached[-1]
    if choice:
        return Path(choice)
    target = model_path()
    if not target.exists():
        progress(f"training this assistant's model (cached by hash): {target.name}")
        subprocess.run(["nice", "-n", "10", PYTHON, "-m", "scripts.train_if_needed"], cwd=PROJECT_ROOT, env=env, check=True, timeout=3600)
    return target


def measure_start(system: System, deadline_s: float) -> dict[str, Any]:
    result = loadgen({"target": system.target(), "scenario": "first_answer", "started_at": system.started_at,
                      "deadline_s": deadline_s}, timeout=deadline_s + 30)
    if result.get("seconds") is None:
        raise RuntimeError(f"{system.name} never answered: {result.get('error')} (load average {os.getloadavg()[0]:.1f})"
                           f"\n{log_tail(system)}")
    progress(f"{system.name} answered its first message {result['seconds']:.1f} s after its processes started")
    return result


def run_chat_scenarios(systems: list[System], profile: Profile) -> dict[str, dict[str, Any]]:
    """Every chat scenario, each on all systems in turn so drifting machine load hits both alike."""
    results: dict[str, dict[str, Any]] = {system.name: {"concurrency": {}} for system in systems}
    budget = profile.scenario_max_seconds
    for senders, requests in profile.concurrency.items():
        parts: dict[str, list[dict[str, Any]]] = {system.name: [] for system in systems}
        # Rounds alternate which system goes first (A B B A A B ...), so the VM's speed drifting over a
        # minute or two weighs on both systems alike instead of deciding a ratio.
        for round_number in range(profile.rounds):
            order = systems if round_number % 2 == 0 else list(reversed(systems))
            for system in order:
                count = requests // profile.rounds
                progress(f"{system.name}: {senders} concurrent sender(s), {count} new conversations "
                         f"(round {round_number + 1}/{profile.rounds})")
                raw = loadgen({"target": system.target(), "scenario": "concurrency", "senders": senders,
                               "requests": count, "max_seconds": budget}, timeout=budget + 120)
                parts[system.name].append(raw)
                progress(f"  {raw['throughput_rps']:.1f} msg/s, errors {raw['errors']}")
                _require_alive(system)
        for system in systems:
            merged = merge_rounds(parts[system.name])
            merged["summary"] = latency_summary(merged["latencies_s"])
            results[system.name]["concurrency"][senders] = merged
            summary = merged["summary"]
            progress(f"{system.name}, {senders} sender(s) overall: {merged['throughput_rps']:.1f} msg/s, "
                     f"p50 {summary['p50_ms']:.0f} ms, p95 {summary['p95_ms']:.0f} ms, errors {merged['errors']}")
    for system in systems:
        progress(f"{system.name}: one conversation of {profile.long_turns} turns")
        results[system.name]["long"] = loadgen({"target": system.target(), "scenario": "long", "turns": profile.long_turns,
                                                "max_seconds": budget * 3}, timeout=budget * 3 + 120)
        _require_alive(system)
    for system in systems:
        progress(f"{system.name}: back-to-back pairs vs lone messages ({profile.back_to_back_repeats} repeats)")
        results[system.name]["back_to_back"] = loadgen(
            {"target": system.target(), "scenario": "back_to_back", "repeats": profile.back_to_back_repeats}, timeout=budget + 120
        )
        _require_alive(system)
    return results


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One concurrency result from several rounds: all latencies, summed errors and wall time."""
    latencies = [value for part in rounds for value in part["latencies_s"]]
    wall = sum(part["wall_s"] for part in rounds)
    return {
        "senders": rounds[0]["senders"],
        "rounds": len(rounds),
        "latencies_s": latencies,
        "errors": sum(part["errors"] for part in rounds),
        "error_samples": [sample for part in rounds for sample in part.get("error_samples", [])][:3],
        "wall_s": wall,
        "throughput_rps": len(latencies) / wall if wall > 0 else 0.0,
    }


def _require_alive(system: System) -> None:
    if not system.alive():
        raise RuntimeError(f"{system.name} died during the benchmark\n{log_tail(system)}")


def long_ends(latencies_s: list[float], window: int) -> tuple[float, float]:
    """p50 (ms) of the first and of the last `window` turns, ignoring failed turns (NaN)."""
    first = [value for value in latencies_s[:window] if value == value]
    last = [value for value in latencies_s[-window:] if value == value]
    return latency_summary(first)["p50_ms"], latency_summary(last)["p50_ms"]


def build_rows(chat: dict[str, dict[str, Any]], starts: dict[str, dict[str, Any]], db: dict[str, Any], profile: Profile) -> list[Row]:
    base, ours = chat.get("baseline", {}), chat.get("ours", {})
    rows: list[Row] = []
    for senders in profile.concurrency:
        b, o = base["concurrency"][senders], ours["concurrency"][senders]
        rows.append(Row(f"throughput, {senders} sender(s)", "msg/s", b["throughput_rps"], o["throughput_rps"],
                        target=1.5 if senders > 1 else None, higher_is_better=True,
                        note=f"errors {b['errors']}/{o['errors']}" if b["errors"] or o["errors"] else ""))
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            rows.append(Row(f"{key[:3]} latency, {senders} sender(s)", "ms", b["summary"][key], o["summary"][key],
                            target=1.2 if (senders == 1 and key == "p95_ms") else None))
    window = profile.window
    b_first, b_last = long_ends(base["long"]["latencies_s"], window)
    o_first, o_last = long_ends(ours["long"]["latencies_s"], window)
    turns = profile.long_turns
    rows += [
        Row(f"p50 latency, turns 1-{window}", "ms", b_first, o_first),
        Row(f"p50 latency, turns {turns - window + 1}-{turns}", "ms", b_last, o_last),
        Row(f"turn {turns} / turn 1 (p50 of {window})", "x", b_last / b_first, o_last / o_first, target=1.2, absolute=True),
    ]
    b_pair, o_pair = base["back_to_back"], ours["back_to_back"]
    b_lone, o_lone = latency_summary(b_pair["lone_s"])["p50_ms"], latency_summary(o_pair["lone_s"])["p50_ms"]
    b_second, o_second = latency_summary(b_pair["second_s"])["p50_ms"], latency_summary(o_pair["second_s"])["p50_ms"]
    rows += [
        Row("lone message (p50)", "ms", b_lone, o_lone),
        Row("second of two back to back (p50)", "ms", b_second, o_second),
        Row("second / lone", "x", b_second / b_lone, o_second / o_lone, target=1.2, absolute=True),
        Row("start-up until first answer", "s", starts["baseline"]["seconds"], starts["ours"]["seconds"], target=20, absolute=True),
    ]
    rows += _db_rows(db)
    return rows


def _db_rows(db: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    scale = db.get("scale", {})
    for engine in ("sqlite", "postgres"):
        lookup = db.get(f"{engine}_lookup")
        if not lookup:
            continue
        summary = latency_summary(lookup["latencies_s"])
        label = f"stock lookup {engine}, {scale.get('rows', 0):,} rows"
        rows.append(Row(f"{label} p50", "ms", None, summary["p50_ms"]))
        rows.append(Row(f"{label} p99", "ms", None, summary["p99_ms"], target=5, absolute=True))
    race = db.get("postgres_race")
    if race:
        rows.append(Row(f"reservations won ({race['attempts']} racing for {race['units']})", "orders", None,
                        float(race["successes"]), target=float(race["units"]), exact=True,
                        note=f"db reserved={race['reserved_in_db']} errors={race['errors']}"))
        rows.append(Row("reservation attempts per second (postgres)", "1/s", None, race["reservations_per_s"]))
    if db.get("postgres_unavailable"):
        rows.append(Row("postgres figures", "", None, None, note=f"skipped: {db['postgres_unavailable']}"))
    return rows


def chart_series(chat: dict[str, dict[str, Any]]) -> dict[str, dict[int, dict[str, float]]]:
    return {
        name: {
            senders: {"p50_ms": raw["summary"]["p50_ms"], "p95_ms": raw["summary"]["p95_ms"], "throughput_rps": raw["throughput_rps"]}
            for senders, raw in results["concurrency"].items()
        }
        for name, results in chat.items()
    }


def _raise_on_sigterm(*_: object) -> None:
    raise SystemExit("stopped by SIGTERM")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for development (under 3 minutes with cached models)")
    parser.add_argument("--skip-db", action="store_true", help="leave out the database figures")
    parser.add_argument("--skip-chat", action="store_true", help="leave out the assistants (database figures only)")
    parser.add_argument("--model", help="this assistant's model: a .tar.gz path, or 'latest' for the newest cached one "
                        "(default: the model of the current config and data, trained if missing)")
    parser.add_argument("--endpoints-extra", type=Path, help="YAML appended to this assistant's endpoints file "
                        "(to measure a lever, e.g. a lock store)")
    # 300 s was too short on the shared machine: at load average 15-20 the moodbot (TensorFlow) took longer to load.
    parser.add_argument("--startup-deadline", type=float, default=900, help="seconds a system may take to answer its "
                        "first message before the run gives up (default 900)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the JSON, chart and logs go (default bench/out)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    profile = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    began = time.monotonic()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_dir = args.out / "logs" / stamp
    meta: dict[str, Any] = {
        "started": stamp, "profile": profile.name, "path": PATH_NOTE, "host": platform.node(), "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "note": "taken on a shared 2-core machine while other engineers ran tests and training: figures are under load",
    }
    progress(f"benchmark ({profile.name}); load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    chat: dict[str, dict[str, Any]] = {}
    starts: dict[str, dict[str, Any]] = {}
    db: dict[str, Any] = {}
    env = shop_environment()
    if not args.skip_chat:
        progress("baseline model (rasa init, trained once and cached)")
        baseline_project = ensure_baseline(env, log_file=log_dir.parent / "baseline-init.log")
        our_model = ensure_our_model(env, args.model)
        meta["models"] = {"baseline": str(baseline_project.model), "ours": str(our_model)}
        systems: list[System] = []
        with tempfile.TemporaryDirectory(prefix="fellside-bench-") as scratch:
            ours_env = {**env, "SHOP_DATABASE_URL": f"sqlite:///{Path(scratch) / 'shop.db'}", "SHOP_STATE_DIR": scratch,
                        "LOG_LEVEL": "WARNING"}
            extra_endpoints = args.endpoints_extra.read_text() if args.endpoints_extra else ""
            meta["ours_extra_endpoints"] = extra_endpoints or None
            # Quick runs start both systems at once to save a minute; full runs one after the other,
            # so neither start-up figure includes the other's model loading.
            meta["startup"] = "both systems started together" if args.quick else "started one after the other"
            try:
                prepare_database(ours_env)
                progress("starting the baseline (rasa run --enable-api + rasa run actions)")
                systems.append(start_baseline(baseline_project, env, log_dir / "baseline"))
                if not args.quick:
                    starts["baseline"] = measure_start(systems[-1], deadline_s=args.startup_deadline)
                progress("starting this assistant (Rasa + bot server) on a scratch database")
                systems.append(start_ours(our_model, ours_env, Path(scratch), log_dir / "ours", extra_endpoints))
                for system in systems:
                    if system.name not in starts:
                        starts[system.name] = measure_start(system, deadline_s=args.startup_deadline)
                meta["pids"] = {system.name: system.pids() for system in systems}
                chat = run_chat_scenarios(systems, profile)
            finally:
                progress("stopping every process the benchmark started")
                stop_all(systems)
    if not args.skip_db:
        progress(f"database figures: {profile.skus:,} SKUs x {profile.stores} stores")
        db = dbbench.run_database_benchmarks(
            dbbench.Scale(profile.skus, profile.stores), profile.lookups, profile.race_attempts, profile.race_units, profile.race_workers
        )
    meta["load_average_at_end"] = os.getloadavg()
    meta["wall_s"] = time.monotonic() - began
    rows = build_rows(chat, starts, db, profile) if chat else _db_rows(db)
    table = format_table(rows)
    print("\n" + PATH_NOTE + "\n" + meta["note"] + f" (load average {meta['load_average_at_start'][0]:.2f} -> "
          f"{meta['load_average_at_end'][0]:.2f}).\n\n" + table + "\n")
    args.out.mkdir(parents=True, exist_ok=True)
    document = figures_document(meta, {"chat": chat, "start": starts, "database": db}, rows)
    write_json(args.out / f"bench-{profile.name}-{stamp}.json", document)
    write_json(args.out / f"bench-{profile.name}-latest.json", document)
    (args.out / f"bench-{profile.name}-latest.md").write_text(format_markdown(rows) + "\n")
    if chat:
        write_chart(args.out / f"bench-{profile.name}-latest.png", chart_series(chat),
                    f"Latency and throughput vs concurrent senders ({profile.name}, one Rasa process each, shared 2-core machine)")
    progress(f"done in {meta['wall_s']:.0f} s; figures in {args.out}/bench-{profile.name}-latest.(json|md|png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
