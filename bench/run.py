"""`python -m bench [--quick]`: this assistant side by side with the stock `rasa init` assistant.

Order of work: models (trained once, cached) → start the baseline and measure its start-up → start
ours and measure its start-up → each load scenario on both, alternating, driven by a separate
load-generator process (bench/loadgen.py) → stop every process → database figures → table, JSON,
chart under bench/out/. Every process started here is stopped in a `finally`, also on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import argparse
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

from bench import dbbench, searchbench
from bench.baseline import ensure_baseline
from bench.production import Production, ServicesMissing, start_production, wait_ready
from bench.report import Row, figures_document, format_markdown, format_table, latency_summary, write_chart, write_json
from bench.scenarios import Lane, build_rows, chart_series, loadgen, progress, run_chat_scenarios
from bench.sms import fake_account, stack_environment
from bench.spread import format_spread, spread
from bench.systems import System, log_tail, prepare_database, start_baseline, start_ours, stop_all
from scripts.stack import free_port
from scripts.shop_env import PROJECT_ROOT, model_path, shop_environment

OUT_DIR = PROJECT_ROOT / "bench" / "out"
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PATH_NOTE = (
    "embedded web chat: POST /chat/api/messages on the bot server -> Rasa web chat channel -> action server "
    "-> SQLite -> replies recorded; the POST returns when Rasa finished the turn. "
    "embedded SMS: signed Twilio webhook to Rasa's SMS channel; latency until the first reply reaches the fake "
    "Twilio API. One Rasa process, in-memory tracker and lock store. "
    "production: the web chat path through one entry point to 1 or 2 pairs (Rasa + bot server) on PostgreSQL "
    "(commerce and tracker), the Redis lock store and the RabbitMQ broker. "
    "baseline: bare `rasa init`, Rasa REST channel (POST /webhooks/rest/webhook)."
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
    search_products: int = 10_000  # catalogue size for the search figures
    searches: int = 1200


# Enough messages per scenario that one noisy second on a shared machine does not decide a ratio.
FULL = Profile("full", {1: 200, 8: 600, 32: 1200}, 180, 200, 10, 20, 10_000, 100, 5000, 1000, 50, 32, rounds=4)
QUICK = Profile("quick", {1: 12, 8: 32, 32: 64}, 30, 30, 5, 2, 1_000, 100, 300, 1000, 50, 32, search_products=2_000, searches=120)




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


def measure_start(name: str, target: dict[str, Any], started_at: float, deadline_s: float, logs: str = "") -> dict[str, Any]:
    result = loadgen({"target": target, "scenario": "first_answer", "started_at": started_at, "deadline_s": deadline_s},
                     timeout=deadline_s + 30)
    if result.get("seconds") is None:
        raise RuntimeError(f"{name} never answered: {result.get('error')} (load average {os.getloadavg()[0]:.1f})\n{logs}")
    progress(f"{name} answered its first message {result['seconds']:.1f} s after its processes started")
    return result


def lanes_of(baseline: System, ours: System, production: Production | None, with_sms: bool) -> list[Lane]:
    """What a run plays: both workloads on the baseline and embedded web chat; the mix over SMS and in production."""
    lanes = [
        Lane("baseline/single", "baseline, 'hello'", baseline, baseline.target("single"), long_and_pairs=True),
        Lane("baseline/mix", "baseline, moodbot mix", baseline, baseline.target("mix"), long_and_pairs=True),
        Lane("ours/single", "embedded web chat, stock question", ours, ours.target("single"), long_and_pairs=True),
        Lane("ours/mix", "embedded web chat, mix", ours, ours.target("mix"), long_and_pairs=True),
    ]
    if with_sms:
        lanes.append(Lane("sms/mix", "embedded SMS, mix", ours, ours.target("mix", path="sms")))
    if production is not None:
        for count in (1, 2):
            lanes.append(Lane(f"prod{count}/mix", f"production {count} replica{'s' if count > 1 else ''}, mix", production,
                              {**ours.target("mix"), "name": f"prod{count}", "url": production.entry[count]},
                              processes=lambda count=count: production.pair_pids(count)))
    return lanes


def _require_alive(lane: Lane) -> None:
    if not lane.system.alive():
        system = lane.system
        raise RuntimeError(f"{lane.label}: a process died during the benchmark\n"
                           f"{system.log_tail() if isinstance(system, Production) else log_tail(system)}")


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
    search = db.get("sqlite_search")
    if search:
        summary = latency_summary(search["latencies_s"])
        label = f"catalogue search sqlite, {search['products']:,} products"
        rows.append(Row(f"{label} p50", "ms", None, summary["p50_ms"]))
        rows.append(Row(f"{label} p99", "ms", None, summary["p99_ms"], target=20, absolute=True,
                        note=f"index built in {search['index_build_s']:.1f} s"))
    race = db.get("postgres_race")
    if race:
        rows.append(Row(f"reservations won ({race['attempts']} racing for {race['units']})", "orders", None,
                        float(race["successes"]), target=float(race["units"]), exact=True,
                        note=f"db reserved={race['reserved_in_db']} errors={race['errors']}"))
        rows.append(Row("reservation attempts per second (postgres)", "1/s", None, race["reservations_per_s"]))
    if db.get("postgres_unavailable"):
        rows.append(Row("postgres figures", "", None, None, note=f"skipped: {db['postgres_unavailable']}"))
    return rows


def _raise_on_sigterm(*_: object) -> None:
    raise SystemExit("stopped by SIGTERM")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small counts, for development (under 3 minutes with cached models)")
    parser.add_argument("--skip-db", action="store_true", help="leave out the database figures")
    parser.add_argument("--skip-chat", action="store_true", help="leave out the assistants (database figures only)")
    parser.add_argument("--skip-sms", action="store_true", help="leave out the SMS webhook path")
    parser.add_argument("--skip-production", action="store_true", help="leave out production mode (PostgreSQL, Redis, "
                        "RabbitMQ, 1 and 2 replicas)")
    parser.add_argument("--model", help="this assistant's model: a .tar.gz path, or 'latest' for the newest cached one "
                        "(default: the model of the current config and data, trained if missing)")
    parser.add_argument("--endpoints-extra", type=Path, help="YAML appended to this assistant's endpoints file "
                        "(to measure a lever, e.g. a lock store)")
    # 300 s was too short on the shared machine: at load average 15-20 the moodbot (TensorFlow) took longer to load.
    parser.add_argument("--startup-deadline", type=float, default=900, help="seconds a system may take to answer its "
                        "first message before the run gives up (default 900)")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where the JSON, chart and logs go (default bench/out)")
    parser.add_argument("--runs", type=int, default=1, help="consecutive full runs; with more than one, the spread of "
                        "every target goes to bench-<profile>-spread.(md|json) (make bench RUNS=5)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def run_chat(args: argparse.Namespace, profile: Profile, env: dict[str, str], meta: dict[str, Any],
             log_dir: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Starts every system, plays every lane, stops everything again: (results per lane, start-up per system)."""
    progress("baseline model (rasa init, trained once and cached)")
    baseline_project = ensure_baseline(env, log_file=log_dir.parent / "baseline-init.log")
    our_model = ensure_our_model(env, args.model)
    meta["models"] = {"baseline": str(baseline_project.model), "ours": str(our_model)}
    starts: dict[str, dict[str, Any]] = {}
    systems: list[System] = []
    production: Production | None = None
    # One fake Twilio API port for the whole run: each SMS lane's load generator listens there while it runs.
    account = None if args.skip_sms else fake_account(free_port())
    with tempfile.TemporaryDirectory(prefix="fellside-bench-") as scratch:
        ours_env = {**env, "SHOP_DATABASE_URL": f"sqlite:///{Path(scratch) / 'shop.db'}", "SHOP_STATE_DIR": scratch,
                    "LOG_LEVEL": "WARNING", **(stack_environment(account) if account else {})}
        extra_endpoints = args.endpoints_extra.read_text() if args.endpoints_extra else ""
        meta["ours_extra_endpoints"] = extra_endpoints or None
        # Quick runs start the systems at once to save minutes; full runs one after the other,
        # so no start-up figure includes another system's model loading.
        meta["startup"] = "systems started together" if args.quick else "started one after the other"
        try:
            prepare_database(ours_env)
            progress("starting the baseline (rasa run --enable-api + rasa run actions)")
            baseline = start_baseline(baseline_project, env, log_dir / "baseline")
            systems.append(baseline)
            if not args.quick:
                starts["baseline"] = measure_start("baseline", baseline.target(), baseline.started_at, args.startup_deadline,
                                                   log_tail(baseline))
            progress("starting this assistant, embedded (Rasa + bot server) on a scratch database")
            ours = start_ours(our_model, ours_env, Path(scratch), log_dir / "ours", extra_endpoints, account)
            systems.append(ours)
            if not args.quick:
                starts["ours"] = measure_start("ours", ours.target(), ours.started_at, args.startup_deadline, log_tail(ours))
            if not args.skip_production:
                progress("starting production mode: 2 pairs (Rasa + bot server) on PostgreSQL, Redis, RabbitMQ")
                try:
                    production = start_production(our_model, log_dir / "production", stack_environment(account) if account else {})
                except ServicesMissing as error:
                    progress(f"production mode skipped: {error}")
                    meta["production_skipped"] = str(error)
            for system in systems:
                if system.name not in starts:
                    starts[system.name] = measure_start(system.name, system.target(), system.started_at,
                                                        args.startup_deadline, log_tail(system))
            if production is not None:
                wait_ready(production, args.startup_deadline)
                starts["production"] = measure_start("production", {**ours.target(), "url": production.entry[2]},
                                                     production.started_at, args.startup_deadline, production.log_tail())
            meta["pids"] = {system.name: system.pids() for system in systems}
            if production is not None:
                meta["pids"]["production"] = production.pids()
                meta["production_entry"] = "bench/entry.py (nginx's routing, in Python: nginx is not installed here)"
            chat = run_chat_scenarios(lanes_of(baseline, ours, production, account is not None), profile, _require_alive)
        finally:
            progress("stopping every process the benchmark started")
            stop_all(systems)
            if production is not None:
                production.stop()
    return chat, starts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    profile = QUICK if args.quick else FULL
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    documents = []
    for number in range(1, args.runs + 1):
        if args.runs > 1:
            progress(f"run {number} of {args.runs}")
        documents.append(run_once(args, profile))
    if args.runs > 1:
        text = format_spread(spread(documents), documents)
        (args.out / f"bench-{profile.name}-spread.md").write_text(text + "\n")
        write_json(args.out / f"bench-{profile.name}-spread.json",
                   {"runs": [document["meta"] for document in documents], "spread": spread(documents)})
        print("\n" + text + "\n")
        progress(f"spread of {args.runs} runs in {args.out}/bench-{profile.name}-spread.(md|json)")
    return 0


def run_once(args: argparse.Namespace, profile: Profile) -> dict[str, Any]:
    """One full run: systems, scenarios, database figures; writes the table, JSON and chart; returns the JSON."""
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
        chat, starts = run_chat(args, profile, env, meta, log_dir)
    if not args.skip_db:
        progress(f"database figures: {profile.skus:,} SKUs x {profile.stores} stores")
        db = dbbench.run_database_benchmarks(
            dbbench.Scale(profile.skus, profile.stores), profile.lookups, profile.race_attempts, profile.race_units, profile.race_workers
        )
        progress(f"catalogue search: {profile.search_products:,} products, {profile.searches} searches (SQLite)")
        db["sqlite_search"] = searchbench.sqlite_searches(profile.search_products, profile.searches)
    meta["load_average_at_end"] = os.getloadavg()
    meta["wall_s"] = time.monotonic() - began
    rows = (build_rows(chat, starts, profile) if chat else []) + _db_rows(db)
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
                    f"Latency and throughput vs concurrent senders per mode ({profile.name}, shared 2-core machine, "
                    f"load average {meta['load_average_at_start'][0]:.1f} -> {meta['load_average_at_end'][0]:.1f})")
    progress(f"done in {meta['wall_s']:.0f} s; figures in {args.out}/bench-{profile.name}-latest.(json|md|png)")
    return document


if __name__ == "__main__":
    sys.exit(main())
