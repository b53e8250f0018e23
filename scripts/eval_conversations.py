"""Plays conversation scenarios against a freshly started stack and prints pass rates per category.

    python -m scripts.eval_conversations                    # the suite and the held-out set
    python -m scripts.eval_conversations tests/conversations/basket.yml --channel web -v

`make eval` runs it after the NLU report. Each scenario is a new shopper on a fresh copy of the demo
catalogue; failures are listed with the transcript (-v) so a miss can be read as a conversation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.support.fake_twilio import FakeTwilio
from tests.support.scenarios import ScenarioResult, held_out_files, load_scenarios, run_scenario, suite_files
from tests.support.stack import running_assistant


def twilio_env(fake: FakeTwilio) -> dict[str, str]:
    return {
        "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_SMS_FROM": "+447700900000",
        "TWILIO_API_BASE": fake.base_url,
    }


def summarise(title: str, results: list[ScenarioResult]) -> str:
    passed = Counter(result.scenario.category for result in results if result.passed)
    total = Counter(result.scenario.category for result in results)
    lines = [f"{title}: {sum(passed.values())}/{len(results)} passed ({100 * sum(passed.values()) / max(len(results), 1):.1f} %)"]
    for category in sorted(total):
        lines.append(f"  {category:<28} {passed[category]:>3}/{total[category]:<3}")
    by_channel = Counter(result.channel for result in results)
    for channel in sorted(by_channel):
        ok = sum(1 for result in results if result.channel == channel and result.passed)
        lines.append(f"  channel {channel:<20} {ok:>3}/{by_channel[channel]:<3}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path, help="scenario files (default: the suite and the held-out set)")
    parser.add_argument("--channel", choices=("web", "sms", "both"), default="both")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the transcript of every failure (not for the held-out set while tuning)")
    args = parser.parse_args(argv)
    groups = {"given files": args.files} if args.files else {"suite": suite_files(), "held-out": held_out_files()}
    with FakeTwilio(auth_token="eval-twilio-token") as fake, tempfile.TemporaryDirectory() as tmp:
        print("starting Rasa and the bot server…", flush=True)
        for stack, shop in running_assistant(Path(tmp), twilio_env(fake)):
            reports = []
            for title, files in groups.items():
                scenarios = load_scenarios(files)
                runs = [(s, channel) for s in scenarios for channel in s.channels if args.channel in (channel, "both")]
                results, started = [], time.monotonic()
                for number, (scenario, channel) in enumerate(runs, start=1):
                    result = run_scenario(scenario, channel, stack, shop, fake)
                    results.append(result)
                    mark = "." if result.passed else "F"
                    print(mark, end="" if number % 60 else f" {number}/{len(runs)}\n", flush=True)
                print(f"\n{title}: {len(runs)} runs in {time.monotonic() - started:.0f} s", flush=True)
                # Failures are listed only on request: the held-out figures are meant to be read as figures.
                for result in results if args.verbose else ():
                    if not result.passed:
                        print(result.report())
                reports.append(summarise(title, results))
            print("\n" + "\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
