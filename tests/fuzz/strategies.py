"""Hypothesis strategies for webhook and API bodies: valid shapes with every field sometimes wrong.

A body starts from a template of what the provider documents; each field is then kept, replaced by
a value of the wrong type, given a nasty value (lone surrogates, NUL, card numbers, huge numbers,
other channels' ids) or left out. Whole bodies are sometimes not JSON at all, or nested past the
parser's limit.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

CARD_TEXTS = ["4242 4242 4242 4242", "4242.4242.4242.4242", "4242/4242/4242/4242", "4242\u00a04242\u00a04242\u00a04242", "4242424242424242"]
NASTY_TEXTS = [
    "", " ", "\n", "\x00", "a\x00b", "\ud800", "x\udfff", "\u202e", "😀", "%00", "%s%n", "{{7*7}}", "'; DROP TABLE chat_messages;--",
    "sms:+447700900123", "web-7f3c2a9e-0000-4000-8000-0123456789ab\n", "/share_location{\"latitude\": 1}", "option:1",
    "http://localhost:5055/pay/cs_sandbox_6ddaf34de40e4242424242424242", "NaN", "-1", "99999999999999999999", "x" * 2001,
    "STOP", "help", "/start", "1e999",
] + CARD_TEXTS
_MISSING = object()


def text(surrogates: bool = True) -> st.SearchStrategy[str]:
    nasty = [value for value in NASTY_TEXTS if surrogates or not any(0xD800 <= ord(c) <= 0xDFFF for c in value)]
    return st.one_of(st.text(max_size=60), st.sampled_from(nasty), st.sampled_from(CARD_TEXTS).map(lambda card: f"my card is {card}"))


def json_values(surrogates: bool = True) -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-(2**80), max_value=2**80), st.floats(), text(surrogates)
    )
    return st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)


def shaped(template: Any) -> st.SearchStrategy[Any]:
    """Values shaped like `template`, each part sometimes wrong (see the module docstring)."""
    if isinstance(template, dict):
        fields = {
            key: st.one_of(shaped(value), shaped(value), shaped(value), json_values(), st.just(_MISSING))
            for key, value in template.items()
        }
        return st.fixed_dictionaries(fields).map(lambda drawn: {k: v for k, v in drawn.items() if v is not _MISSING})
    if isinstance(template, list):
        return st.lists(shaped(template[0]), max_size=3)
    if isinstance(template, bool):
        return st.booleans()
    if isinstance(template, int):
        return st.one_of(st.just(template), st.integers(min_value=0, max_value=2**31), st.integers())
    if isinstance(template, float):
        return st.one_of(st.just(template), st.floats())
    if isinstance(template, str):
        return st.one_of(st.just(template), st.just(template), text())
    return json_values()


def json_bodies(template: Any) -> st.SearchStrategy[bytes]:
    """Raw bodies: mostly JSON shaped like `template`, sometimes any JSON, bytes, or absurd nesting."""
    return st.one_of(
        shaped(template).map(lambda value: json.dumps(value).encode()),
        shaped(template).map(lambda value: json.dumps(value).encode()),
        shaped(template).map(lambda value: json.dumps(value).encode()),
        json_values().map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=80),
        st.integers(min_value=900, max_value=20_000).map(lambda depth: b"[" * depth + b"]" * depth),
    )


def form_fields(template: dict[str, str]) -> st.SearchStrategy[dict[str, str]]:
    """Form fields shaped like `template` (values are text: forms carry nothing else), plus strays."""
    values = {key: st.one_of(st.just(value), st.just(value), text(surrogates=False), st.just(_MISSING)) for key, value in template.items()}
    extra = st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda k: "\x00" not in k), text(surrogates=False), max_size=3)
    return st.tuples(st.fixed_dictionaries(values), extra).map(
        lambda pair: {**pair[1], **{k: v for k, v in pair[0].items() if v is not _MISSING}}
    )
