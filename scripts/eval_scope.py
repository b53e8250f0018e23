"""How the assistant answers messages that are not about the shop (held out: tests/nlu/out_of_scope_holdout.yml).

Each message is sent as the first line of a new web chat conversation through the real stack. A reply counts
as right when it is the scope reply (or, for abuse, the calm reply; for a language the assistant doesn't speak,
the languages reply; for a product we don't sell, "we don't sell …" with what we do): no support answer, no
stock answer, no question that starts a shopping flow, nothing put in a basket.

    python -m scripts.eval_scope [--min 0.9] [--file tests/nlu/out_of_scope_dev.yml -v]

Tune on the development file (tests/nlu/out_of_scope_dev.yml), never on the held-out one.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from bot.conversation import support
from tests.support.scenarios import WebShopper
from tests.support.stack import running_assistant

HOLDOUT = Path(__file__).resolve().parent.parent / "tests" / "nlu" / "out_of_scope_holdout.yml"
# Openings of the replies that say what the assistant is for (bot/conversation/support.py).
SCOPE_REPLIES = tuple(
    re.compile(pattern, re.I)
    for pattern in (
        r"^Sorry, that's not something I can help with",
        r"^Sorry, we don't sell ",
        r"^I'm sorry this is frustrating",
        r"^Sorry, I can only chat in English",
        r"^I'm the .* virtual assistant",
    )
)


def read_messages(path: Path = HOLDOUT) -> dict[str, list[str]]:
    document = yaml.safe_load(path.read_text())
    return {str(area): [str(message) for message in messages] for area, messages in document["areas"].items()}


def is_scope_reply(texts: list[str]) -> bool:
    """The first reply is a scope-type reply and nothing after it starts a shopping step."""
    if not texts:
        return False
    first = texts[0]
    faq_answers = set(support._faq_texts().values())  # noqa: SLF001 - the raw answers, to spot any of them
    if any(answer[:40] in " ".join(texts) for answer in faq_answers):
        return False
    return any(pattern.search(first) for pattern in SCOPE_REPLIES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min", type=float, default=0.0, help="exit 1 when the share of right replies is lower")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every wrong reply")
    parser.add_argument("--file", type=Path, default=HOLDOUT, help="messages by area (default: the held-out file)")
    args = parser.parse_args(argv)
    areas = read_messages(args.file)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    wrong: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        print("starting Rasa and the bot server…", flush=True)
        for stack, _shop in running_assistant(Path(tmp)):
            for area, messages in areas.items():
                for message in messages:
                    shopper = WebShopper(stack)
                    try:
                        reply = shopper.say(message)
                    finally:
                        shopper.close()
                    total[area] += 1
                    if is_scope_reply(list(reply.texts)):
                        right[area] += 1
                    else:
                        wrong.append(f"[{area}] {message!r} -> {reply.said[:160]!r}")
                print(f"  {area:<22} {right[area]:>3}/{total[area]}", flush=True)
    share = sum(right.values()) / max(sum(total.values()), 1)
    if args.verbose:
        print("\n".join(wrong))
    print(f"out of scope: {sum(right.values())}/{sum(total.values())} got the scope reply ({100 * share:.1f} %)")
    return 1 if share < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
