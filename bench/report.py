"""Turning raw timings into figures: percentiles, the side-by-side table, the JSON file and the chart.

Everything here except `write_chart` is pure, so the harness's arithmetic and layout are unit-tested.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

JSON_SCHEMA_VERSION = 1


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` (0..1) percentile by linear interpolation between closest ranks (numpy's default).

    Raises:
        ValueError: no samples, or fraction outside 0..1.
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within 0..1, got {fraction}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latencies given in seconds, reported in milliseconds."""
    if not latencies_s:
        return {"count": 0, "p50_ms": math.nan, "p95_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan}
    return {
        "count": len(latencies_s),
        "p50_ms": percentile(latencies_s, 0.50) * 1000,
        "p95_ms": percentile(latencies_s, 0.95) * 1000,
        "p99_ms": percentile(latencies_s, 0.99) * 1000,
        "max_ms": max(latencies_s) * 1000,
    }


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline, or None when either is missing, not a number, or the baseline is zero."""
    if ours is None or baseline is None or math.isnan(ours) or math.isnan(baseline) or baseline == 0:
        return None
    return ours / baseline


@dataclass(frozen=True)
class Row:
    """One line of the table: a figure for the baseline and for us, with the target it is judged by.

    `target` is the largest (or, with higher_is_better, smallest) acceptable value of `ratio`, or of
    `ours` itself when `absolute` is set (start-up seconds, a within-system ratio such as turn 200/turn 1).
    """

    label: str
    unit: str
    baseline: float | None
    ours: float | None
    target: float | None = None
    higher_is_better: bool = False
    absolute: bool = False
    exact: bool = False  # met only when ours == target (e.g. successful reservations == units)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return ratio(self.ours, self.baseline)

    @property
    def verdict(self) -> str:
        judged = self.ours if self.absolute or self.exact else self.ratio
        if self.target is None or judged is None or math.isnan(judged):
            return ""
        if self.exact:
            return "met" if judged == self.target else "MISSED"
        met = judged >= self.target if self.higher_is_better else judged <= self.target
        return "met" if met else "MISSED"

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = "==" if self.exact else ">=" if self.higher_is_better else "<="
        return f"ours {sign} {self.target:g} {self.unit}" if self.absolute or self.exact else f"{sign} {self.target:g}x base"


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Iterable[Row], baseline_name: str = "baseline", ours_name: str = "ours") -> str:
    """A fixed-width text table: figure, baseline, ours, ratio, target and verdict."""
    header = ("figure", "unit", baseline_name, ours_name, "ours/base", "target", "")
    lines = [
        (
            row.label,
            row.unit,
            _number(row.baseline),
            _number(row.ours),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.target_text(),
            row.verdict + (f" {row.note}" if row.note else ""),
        )
        for row in rows
    ]
    widths = [max(len(str(cells[i])) for cells in [header, *lines]) for i in range(len(header))]
    numeric = {2, 3, 4}

    def render(cells: Sequence[str]) -> str:
        parts = [str(cell).rjust(widths[i]) if i in numeric else str(cell).ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(header), rule, *(render(cells) for cells in lines)])


def format_markdown(rows: Iterable[Row], baseline_name: str = "baseline", ours_name: str = "ours") -> str:
    """The same table as GitHub Markdown, for docs/performance.md."""
    out = [f"| figure | unit | {baseline_name} | {ours_name} | ours/base | target | |", "|---|---|--:|--:|--:|---|---|"]
    for row in rows:
        ratio_text = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        verdict = row.verdict + (f" {row.note}" if row.note else "")
        out.append(
            f"| {row.label} | {row.unit} | {_number(row.baseline)} | {_number(row.ours)} | {ratio_text} "
            f"| {row.target_text()} | {verdict} |"
        )
    return "\n".join(out)


def figures_document(meta: dict[str, Any], results: dict[str, Any], rows: Sequence[Row]) -> dict[str, Any]:
    """The JSON written to bench/out/: run metadata, raw figures per scenario, and the table rows."""
    return {
        "schema": JSON_SCHEMA_VERSION,
        "meta": meta,
        "results": results,
        "table": [
            {
                "label": row.label,
                "unit": row.unit,
                "baseline": row.baseline,
                "ours": row.ours,
                "ratio": row.ratio,
                "target": row.target,
                "higher_is_better": row.higher_is_better,
                "absolute": row.absolute,
                "exact": row.exact,
                "verdict": row.verdict or None,
                "note": row.note or None,
            }
            for row in rows
        ],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)

    def clean(value: Any) -> Any:  # NaN is not JSON: write null
        if isinstance(value, float) and math.isnan(value):
            return None
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(item) for item in value]
        return value

    path.write_text(json.dumps(clean(document), indent=2, sort_keys=False) + "\n")


def write_chart(path: Path, series: dict[str, dict[int, dict[str, float]]], title: str) -> None:
    """Latency (p50 and p95) and throughput against concurrency, one line per system.

    `series` maps a system name to {concurrency: {"p50_ms", "p95_ms", "throughput_rps"}}.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    figure, (latency_axis, throughput_axis) = plt.subplots(1, 2, figsize=(12, 4.6 + 0.16 * len(series)))
    for number, (name, points) in enumerate(series.items()):
        levels, colour = sorted(points), f"C{number}"  # one colour per system
        latency_axis.plot(levels, [points[c]["p50_ms"] for c in levels], marker="o", color=colour, label=f"{name} p50")
        latency_axis.plot(levels, [points[c]["p95_ms"] for c in levels], marker="x", linestyle="--", color=colour,
                          label=f"{name} p95")
        throughput_axis.plot(levels, [points[c]["throughput_rps"] for c in levels], marker="o", color=colour, label=name)
    for axis in (latency_axis, throughput_axis):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrent senders")
        axis.grid(True, alpha=0.3)
        # Below the plot: with a line per mode and path, a legend inside would hide the lines.
        axis.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2 if axis is latency_axis else 1,
                    frameon=False)
    latency_axis.set_ylabel("latency (ms)")
    latency_axis.set_yscale("log")
    throughput_axis.set_ylabel("messages per second")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
