"""The NLU quality report (`make eval`): train on the training data only, score on the held-out file.

Steps, each printed as it runs:
1. checks that tests/nlu/holdout.yml shares no example with the training data;
2. trains a fresh model from config.yml, domain.yml and data/ into a temporary folder (own Rasa cache,
   so neither the model cache nor .rasa/cache is touched, and the training time is a real one);
3. parses every held-out message with the trained model (Agent.parse_message) and prints intent
   macro-F1, FAQ topic macro-F1 (the FAQ selector), entity F1 (micro over entity types, exact
   spans), the worst confused intent pairs and the parse latency (p50/p95);
4. runs the conversation tests (`rasa test core --stories tests/test_stories.yml`), "n/a" when that
   file does not exist.

Exits 1 when a target is missed. Usage:

    .venv/bin/python -m scripts.eval_nlu [--config config.yml] [--skip-core] [--json results.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable

from scripts.shop_env import PROJECT_ROOT, shop_environment

HOLDOUT = PROJECT_ROOT / "tests" / "nlu" / "holdout.yml"
TEST_STORIES = PROJECT_ROOT / "tests" / "test_stories.yml"
RASA = str(PROJECT_ROOT / ".venv" / "bin" / "rasa")
TRAINING_INPUTS = ("data/nlu", "data/rules", "data/stories", "data/responses")

INTENT_F1_TARGET = 0.93
ENTITY_F1_TARGET = 0.90
FAQ_F1_TARGET = 0.90
CONVERSATION_TARGET = 1.0
# Entities are scored for the extractors that learn from the examples (whichever config.yml uses).
LEARNED_EXTRACTORS = {"DIETClassifier", "CRFEntityExtractor"}


# --- reading examples -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One labelled message: `label` is the intent, or `faq/<topic>` for a support question."""

    text: str
    label: str
    entities: tuple[tuple[str, int, int], ...]  # (entity type, start, end)


def read_examples(paths: Iterable[Path]) -> list[Example]:
    """Labelled examples of the NLU YAML files (or folders of them) given; lookups and synonyms are skipped."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for path in paths:
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            for message in load_data(str(file)).intent_examples:
                label = message.get("intent_response_key") or message.get("intent")
                spans = tuple(sorted((e["entity"], e["start"], e["end"]) for e in message.get("entities") or []))
                examples.append(Example(message.get("text"), label, spans))
    return examples


def normalise_example(text: str) -> str:
    """The text with case, punctuation and spacing ignored, for spotting a held-out example in training."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def holdout_overlap(holdout: list[Example], training: list[Example]) -> list[str]:
    """Held-out texts that also appear (ignoring case and punctuation) in the training data."""
    seen = {normalise_example(example.text) for example in training}
    return [example.text for example in holdout if normalise_example(example.text) in seen]


# --- scoring --------------------------------------------------------------------------------------


@dataclass
class Prediction:
    example: Example
    intent: str
    faq_topic: str | None
    entities: tuple[tuple[str, int, int], ...]
    entity_values: tuple[tuple[str, str], ...]
    seconds: float


def base_intent(label: str) -> str:
    return label.split("/", 1)[0]


def macro_f1(pairs: list[tuple[str, str]]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the true labels (a prediction of any other label, e.g. nlu_fallback, is a miss)."""
    labels = sorted({true for true, _ in pairs})
    scores = {}
    for label in labels:
        tp = sum(1 for true, pred in pairs if true == label and pred == label)
        fp = sum(1 for true, pred in pairs if true != label and pred == label)
        fn = sum(1 for true, pred in pairs if true == label and pred != label)
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return (sum(scores.values()) / len(scores) if scores else 0.0), scores


def entity_scores(predictions: list[Prediction]) -> tuple[float, dict[str, dict[str, float]]]:
    """Micro-F1 over entity types with exact spans, and precision/recall/F1/support per type."""
    counts: dict[str, Counter[str]] = {}
    for prediction in predictions:
        expected, found = set(prediction.example.entities), set(prediction.entities)
        for kind, group in (("tp", expected & found), ("fp", found - expected), ("fn", expected - found)):
            for entity, _, _ in group:
                counts.setdefault(entity, Counter())[kind] += 1
    total = sum((counter for counter in counts.values()), Counter())
    per_type = {entity: _prf(counter) for entity, counter in sorted(counts.items())}
    return _prf(total)["f1"], per_type


def _prf(counter: Counter[str]) -> dict[str, float]:
    tp, fp, fn = counter["tp"], counter["fp"], counter["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[position]


@dataclass
class Report:
    config: str
    examples: int
    training_seconds: float
    intent_macro_f1: float
    faq_topic_macro_f1: float
    entity_f1: float
    entity_per_type: dict[str, dict[str, float]]
    intent_per_label: dict[str, float]
    worst_confusions: list[tuple[str, str, int, list[str]]]
    latency_p50_ms: float
    latency_p95_ms: float
    invalid_store_values: list[str]
    conversation_pass_rate: float | None
    conversation_detail: str
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (text, true, predicted)
    failures: list[str] = field(default_factory=list)


def score(predictions: list[Prediction]) -> dict[str, Any]:
    intent_pairs = [(base_intent(p.example.label), p.intent) for p in predictions]
    intent_f1, per_label = macro_f1(intent_pairs)
    faq_pairs = [(p.example.label, p.faq_topic if p.intent == "faq" else p.intent)
                 for p in predictions if p.example.label.startswith("faq/")]
    faq_f1, _ = macro_f1(faq_pairs)
    entity_f1, per_type = entity_scores(predictions)
    confusions: dict[tuple[str, str], list[str]] = {}
    for prediction in predictions:
        true = prediction.example.label
        pred = prediction.intent if prediction.intent != "faq" else (prediction.faq_topic or "faq")
        if (base_intent(true) != prediction.intent) or (true.startswith("faq/") and true != pred):
            confusions.setdefault((true, pred), []).append(prediction.example.text)
    errors = [(text, true, pred) for (true, pred), texts in sorted(confusions.items()) for text in texts]
    worst = sorted(confusions.items(), key=lambda item: (-len(item[1]), item[0]))[:8]
    latencies = [p.seconds * 1000 for p in predictions]
    return {
        "intent_macro_f1": intent_f1,
        "intent_per_label": per_label,
        "faq_topic_macro_f1": faq_f1,
        "entity_f1": entity_f1,
        "entity_per_type": per_type,
        "worst_confusions": [(true, pred, len(texts), texts[:3]) for (true, pred), texts in worst],
        "errors": errors,
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p95_ms": percentile(latencies, 0.95),
    }


# --- running Rasa ---------------------------------------------------------------------------------


def _progress(message: str) -> None:
    print(message, flush=True)


def _run_with_heartbeat(command: list[str], env: dict[str, str], log: Path, label: str) -> int:
    """Runs a Rasa command (niced, so a shared machine stays usable), printing what it is doing every 15 s."""
    started = time.monotonic()
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   preexec_fn=lambda: os.nice(10))
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(15):
            text = log.read_text(errors="replace")
            components = re.findall(r"Starting to train component '(\w+)'", text)
            current = text.rsplit("Starting to train component", 1)[-1][-2000:]
            epochs = re.findall(r"Epochs:\s+\d+%\|[^|]*\|\s*(\d+/\d+)", current)
            doing = f" ({components[-1]}{', epoch ' + epochs[-1] if epochs else ''})" if components else ""
            _progress(f"    {label}: {time.monotonic() - started:.0f} s{doing}")

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        return process.wait()
    finally:
        stop.set()
        thread.join()


def train(config: Path, workdir: Path, env: dict[str, str]) -> tuple[Path, float]:
    """Trains a complete model (NLU and dialogue) on the training data only; returns (model, seconds)."""
    from scripts.train_if_needed import training_data_paths

    data = [path for path in training_data_paths() if path in TRAINING_INPUTS] or list(TRAINING_INPUTS)
    command = [RASA, "train", "--config", str(config), "--domain", "domain.yml", "--data", *data,
               "--out", str(workdir), "--fixed-model-name", "eval-model"]
    started = time.monotonic()
    code = _run_with_heartbeat(command, env, workdir / "train.log", "training")
    seconds = time.monotonic() - started
    model = workdir / "eval-model.tar.gz"
    if code != 0 or not model.exists():
        tail = (workdir / "train.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"training failed (exit {code}):\n{tail}")
    return model, seconds


async def _parse_all(model: Path, holdout: list[Example]) -> list[Prediction]:
    with warnings.catch_warnings():  # importing Rasa's stack resets filters and prints deprecation noise
        warnings.simplefilter("ignore")
        from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    await agent.parse_message("hello")  # the first call pays for lazy set-up; keep it out of the timings
    predictions = []
    for number, example in enumerate(holdout, start=1):
        started = time.perf_counter()
        result = await agent.parse_message(example.text)
        elapsed = time.perf_counter() - started
        selector = (result.get("response_selector") or {}).get("faq", {}).get("response", {})
        entities = [e for e in result.get("entities", []) if e.get("extractor") in LEARNED_EXTRACTORS]
        predictions.append(Prediction(
            example=example,
            intent=(result.get("intent") or {}).get("name") or "",
            faq_topic=selector.get("intent_response_key"),
            entities=tuple(sorted((e["entity"], e["start"], e["end"]) for e in entities)),
            entity_values=tuple((e["entity"], str(e.get("value"))) for e in entities),
            seconds=elapsed,
        ))
        if number % 50 == 0:
            _progress(f"    parsed {number}/{len(holdout)}")
    return predictions


def parse_holdout(model: Path, holdout: list[Example]) -> list[Prediction]:
    """Every held-out message parsed by the trained model, with the time each parse took."""
    return asyncio.run(_parse_all(model, holdout))


def conversation_tests(model: Path, workdir: Path, env: dict[str, str]) -> tuple[float | None, str]:
    """Pass rate of tests/test_stories.yml, or (None, "n/a") when the file does not exist."""
    if not TEST_STORIES.exists():
        return None, "n/a (tests/test_stories.yml does not exist yet)"
    import yaml

    stories = (yaml.safe_load(TEST_STORIES.read_text()) or {}).get("stories") or []
    out = workdir / "core-results"
    command = [RASA, "test", "core", "--model", str(model), "--stories", str(TEST_STORIES), "--out", str(out)]
    code = _run_with_heartbeat(command, env, workdir / "test-core.log", "conversation tests")
    failed_file = out / "failed_test_stories.yml"
    if code != 0 and not failed_file.exists():
        return 0.0, f"rasa test core failed (exit {code}); see its log"
    failed = (yaml.safe_load(failed_file.read_text()) or {}).get("stories") or [] if failed_file.exists() else []
    total = len(stories)
    names = ", ".join(story.get("story", "?") for story in failed[:5])
    detail = f"{total - len(failed)}/{total} stories pass" + (f"; failing: {names}" if failed else "")
    return ((total - len(failed)) / total if total else None), detail


# --- the report -----------------------------------------------------------------------------------


def check_targets(report: Report, intent_target: float = INTENT_F1_TARGET) -> list[str]:
    failures = []
    if report.intent_macro_f1 < intent_target:
        failures.append(f"intent macro-F1 {report.intent_macro_f1:.3f} < {intent_target}")
    if report.entity_f1 < ENTITY_F1_TARGET:
        failures.append(f"entity F1 {report.entity_f1:.3f} < {ENTITY_F1_TARGET}")
    if report.faq_topic_macro_f1 < FAQ_F1_TARGET:
        failures.append(f"FAQ topic macro-F1 {report.faq_topic_macro_f1:.3f} < {FAQ_F1_TARGET}")
    if report.invalid_store_values:
        failures.append(f"store entities that are not store ids: {', '.join(report.invalid_store_values[:5])}")
    if report.conversation_pass_rate is not None and report.conversation_pass_rate < CONVERSATION_TARGET:
        failures.append(f"conversation tests {report.conversation_pass_rate:.0%} < 100%")
    return failures


def print_report(report: Report, intent_target: float = INTENT_F1_TARGET) -> None:
    def mark(ok: bool) -> str:
        return "ok " if ok else "MISS"

    print("\n=== NLU quality report " + "=" * 50)
    print(f"config: {report.config}   held-out examples: {report.examples}   training: {report.training_seconds:.0f} s")
    print(f"[{mark(report.intent_macro_f1 >= intent_target)}] intent macro-F1      {report.intent_macro_f1:.3f}"
          f"  (target {intent_target})")
    print(f"[{mark(report.faq_topic_macro_f1 >= FAQ_F1_TARGET)}] FAQ topic macro-F1   "
          f"{report.faq_topic_macro_f1:.3f}  (target {FAQ_F1_TARGET})")
    print(f"[{mark(report.entity_f1 >= ENTITY_F1_TARGET)}] entity F1 (micro)    {report.entity_f1:.3f}"
          f"  (target {ENTITY_F1_TARGET})")
    for entity, values in report.entity_per_type.items():
        print(f"        {entity:<10} P {values['precision']:.2f}  R {values['recall']:.2f}  F1 {values['f1']:.2f}"
              f"  (n={values['support']:.0f})")
    weak = {label: f1 for label, f1 in report.intent_per_label.items() if f1 < 0.95}
    if weak:
        print("      intents under 0.95 F1: " + ", ".join(f"{label} {f1:.2f}" for label, f1 in sorted(weak.items())))
    print("worst confused pairs (true -> predicted, count, examples):")
    for true, pred, count, texts in report.worst_confusions or []:
        print(f"        {true} -> {pred}  x{count}: " + " | ".join(texts))
    if not report.worst_confusions:
        print("        none")
    print(f"parse latency: p50 {report.latency_p50_ms:.1f} ms, p95 {report.latency_p95_ms:.1f} ms")
    rate = "n/a" if report.conversation_pass_rate is None else f"{report.conversation_pass_rate:.0%}"
    print(f"conversation tests: {rate}  ({report.conversation_detail})")
    print("result: " + ("all targets met" if not report.failures else "MISSED: " + "; ".join(report.failures)))


def evaluate(config: Path, skip_core: bool, keep_model: Path | None, holdout_file: Path = HOLDOUT,
             model_file: Path | None = None, intent_target: float = INTENT_F1_TARGET, exclude_overlap: bool = False) -> Report:
    """Trains on the training data (or takes `model_file`), scores the held-out file and runs the conversation tests."""
    env = shop_environment()
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    _progress("[1/4] reading examples and checking the held-out file is not in the training data")
    holdout = read_examples([holdout_file])
    training = read_examples([PROJECT_ROOT / "data" / "nlu"])
    overlap = holdout_overlap(holdout, training)
    if overlap and exclude_overlap:
        # Short messages ("kiitos", "moi") are written alike by two people: those are scored out, and said so.
        seen = set(map(normalise_example, overlap))
        holdout = [example for example in holdout if normalise_example(example.text) not in seen]
        _progress(f"    {len(overlap)} held-out examples also in the training data are left out of the score")
    elif overlap:
        if holdout_file != HOLDOUT:  # another language's held-out file is never shown example by example
            raise SystemExit(f"{len(overlap)} examples of {holdout_file.name} are also in the training data")
        raise SystemExit(f"held-out examples also in the training data: {overlap[:10]}")
    _progress(f"    {len(holdout)} held-out examples, {len(training)} training examples")
    with tempfile.TemporaryDirectory(prefix="nlu-eval-") as folder:
        workdir = Path(folder)
        env["RASA_CACHE_DIRECTORY"] = str(workdir / "rasa-cache")
        if model_file is not None:  # one training scores every language's held-out file (`make eval`)
            _progress(f"[2/4] using the model {model_file}")
            model, training_seconds = model_file, 0.0
        else:
            _progress(f"[2/4] training a fresh model with {config.name} (a few minutes on 2 cores)")
            model, training_seconds = train(config, workdir, env)
            _progress(f"    trained in {training_seconds:.0f} s")
        if keep_model:
            keep_model.write_bytes(model.read_bytes())
        _progress("[3/4] parsing the held-out examples")
        predictions = parse_holdout(model, holdout)
        scores = score(predictions)
        from scripts.generate_nlu_lookups import read_catalogue

        store_ids = {store_id for store_id, _ in read_catalogue().stores}
        invalid = sorted({value for p in predictions for kind, value in p.entity_values
                          if kind == "store" and value not in store_ids})
        if skip_core:
            _progress("[4/4] conversation tests skipped (--skip-core)")
            rate, detail = None, "skipped"
        else:
            _progress("[4/4] conversation tests (rasa test core)")
            rate, detail = conversation_tests(model, workdir, env)
    report = Report(config=str(config.relative_to(PROJECT_ROOT) if config.is_relative_to(PROJECT_ROOT) else config),
                    examples=len(holdout), training_seconds=training_seconds, invalid_store_values=invalid,
                    conversation_pass_rate=rate, conversation_detail=detail, **scores)
    report.failures = check_targets(report, intent_target)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="NLU quality report on the held-out file")
    parser.add_argument("--config", type=Path, default=PROJECT_ROOT / "config.yml")
    parser.add_argument("--skip-core", action="store_true", help="do not run the conversation tests")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--keep-model", type=Path, help="copy the trained model here")
    parser.add_argument("--holdout", type=Path, default=HOLDOUT, help="the held-out file (default tests/nlu/holdout.yml)")
    parser.add_argument("--model", type=Path, help="score this trained model instead of training one")
    parser.add_argument("--intent-target", type=float, default=INTENT_F1_TARGET)
    parser.add_argument("--summary", action="store_true", help="figures only: no held-out example is printed")
    parser.add_argument("--exclude-overlap", action="store_true",
                        help="score only held-out examples not also in the training data (counted, never printed)")
    args = parser.parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.filterwarnings("ignore")  # Rasa's dependencies' deprecation noise would bury the report
    logging.getLogger().setLevel(logging.ERROR)
    report = evaluate(args.config.resolve(), args.skip_core, args.keep_model, args.holdout.resolve(),
                      args.model.resolve() if args.model else None, args.intent_target, args.exclude_overlap)
    if args.summary:
        report.worst_confusions = []  # a held-out file is measured, never read example by example
    print_report(report, args.intent_target)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2))
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
