"""Several consecutive runs of the bench, and the spread of each target across them (`make bench RUNS=5`).

One run's verdicts flip near a threshold as the shared machine's speed drifts: the spread (min, median, max
of each judged figure, and in how many runs it was met) says whether a target holds, not one lucky run.
"""

from __future__ import annotations

import statistics
from typing import Any, Sequence


def judged_value(row: dict[str, Any]) -> float | None:
    """The figure a row's target is judged by: ours itself (absolute/exact targets) or ours/baseline."""
    if row.get("target") is None:
        return None
    return row.get("ours") if row.get("absolute") or row.get("exact") else row.get("ratio")


def spread(documents: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per row with a target, in the first run's order: the judged value of every run, min/median/max, runs met."""
    order: list[str] = []
    by_label: dict[str, dict[str, Any]] = {}
    for document in documents:
        for row in document["table"]:
            if row.get("target") is None:
                continue
            label = row["label"]
            if label not in by_label:
                order.append(label)
                by_label[label] = {"label": label, "unit": row["unit"], "target": row["target"],
                                   "higher_is_better": row["higher_is_better"],
                                   "absolute": row["absolute"] or row.get("exact", False), "exact": row.get("exact", False),
                                   "values": [], "met": 0}
            value = judged_value(row)
            by_label[label]["values"].append(value)
            by_label[label]["met"] += row.get("verdict") == "met"
    result = []
    for label in order:
        entry = by_label[label]
        known = [value for value in entry["values"] if value is not None]
        entry.update(runs=len(entry["values"]), min=min(known) if known else None,
                     median=statistics.median(known) if known else None, max=max(known) if known else None)
        result.append(entry)
    return result


def _figure(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"


def format_spread(entries: Sequence[dict[str, Any]], documents: Sequence[dict[str, Any]]) -> str:
    """Markdown: the runs (start, commit-free stamp, load average) and one line per target."""
    lines = [f"{len(documents)} consecutive run(s) of `python -m bench`; load average (1 min) at start -> end of each:", ""]
    for number, document in enumerate(documents, start=1):
        meta = document["meta"]
        start, end = meta.get("load_average_at_start", [None])[0], meta.get("load_average_at_end", [None])[0]
        lines.append(f"- run {number}: {meta.get('started')} ({meta.get('profile')}), load {_figure(start)} -> {_figure(end)}, "
                     f"{meta.get('wall_s', 0):.0f} s")
    lines += ["", "| target | judged on | min | median | max | met in |", "|---|---|--:|--:|--:|--:|"]
    for entry in entries:
        sign = "==" if entry["exact"] else ">=" if entry["higher_is_better"] else "<="
        on = f"ours ({entry['unit']})" if entry["absolute"] else "ours / baseline"
        target = f"{sign} {entry['target']:g}"
        lines.append(f"| {entry['label']} {target} | {on} | {_figure(entry['min'])} | {_figure(entry['median'])} "
                     f"| {_figure(entry['max'])} | {entry['met']} of {entry['runs']} |")
    return "\n".join(lines)
