"""Fast checks on the NLU training data, the held-out test file and the FAQ answers.

The F1 figures need a trained model and a few minutes: they belong to `make eval`
(`python -m scripts.eval_nlu`). These checks keep the data honest between two evaluations.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.kernel.config import Settings
from scripts.eval_nlu import HOLDOUT, Example, holdout_overlap, macro_f1, normalise_example, read_examples
from bot.languages.terms import without_case_endings
from scripts.generate_nlu_lookups import read_catalogue, render_lookups, stale_files, store_aliases

ROOT = Path(__file__).resolve().parent.parent
NLU_DIR = ROOT / "data" / "nlu"
FAQ_RESPONSES = ROOT / "data" / "responses" / "faq.yml"
MIN_EXAMPLES = 20
MAX_ANSWER_CHARS = 300


@pytest.fixture(scope="module")
def training() -> list[Example]:
    return read_examples([NLU_DIR])


@pytest.fixture(scope="module")
def holdout() -> list[Example]:
    return read_examples([HOLDOUT])


@pytest.fixture(scope="module")
def faq_answers() -> dict[str, list[dict[str, str]]]:
    return yaml.safe_load(FAQ_RESPONSES.read_text())["responses"]


def _annotated_spans(examples: list[Example], entity: str) -> list[str]:
    return [example.text[start:end] for example in examples for kind, start, end in example.entities if kind == entity]


def test_holdout_shares_no_example_with_training_data(training: list[Example], holdout: list[Example]) -> None:
    assert holdout_overlap(holdout, training) == []


@pytest.mark.parametrize("name", ["dev_id.yml", "dev_fi.yml"])
def test_language_dev_sets_are_not_trained_on(training: list[Example], name: str) -> None:
    """The Indonesian and Finnish dev sets are tuned on, so an example copied into training would hide a miss."""
    assert holdout_overlap(read_examples([ROOT / "tests" / "nlu" / name]), training) == []


def test_holdout_has_no_duplicates(holdout: list[Example]) -> None:
    repeated = [text for text, count in Counter(normalise_example(e.text) for e in holdout).items() if count > 1]
    assert repeated == []


def test_every_intent_and_faq_topic_has_at_least_20_examples(training: list[Example]) -> None:
    counts = Counter(example.label for example in training)
    too_few = {label: count for label, count in counts.items() if count < MIN_EXAMPLES}
    assert too_few == {}


def test_holdout_covers_every_intent_and_faq_topic(training: list[Example], holdout: list[Example]) -> None:
    assert {e.label for e in training} - {e.label for e in holdout} == set()
    assert {e.label for e in holdout} - {e.label for e in training} == set()


def test_there_are_at_least_20_faq_topics_each_with_a_short_answer(
    training: list[Example], faq_answers: dict[str, list[dict[str, str]]]
) -> None:
    topics = {e.label.removeprefix("faq/") for e in training if e.label.startswith("faq/")}
    answered = {name.removeprefix("utter_faq/") for name in faq_answers}
    assert len(topics) >= 20
    assert topics == answered
    too_long = {name: len(v["text"]) for name, variants in faq_answers.items() for v in variants
                if len(v["text"]) > MAX_ANSWER_CHARS}
    assert too_long == {}


def test_figures_in_answers_come_from_the_settings(
    faq_answers: dict[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.conversation.support import faq_answer

    texts = " ".join(variant["text"] for variants in faq_answers.values() for variant in variants)
    # No figure the settings decide is written into an answer: it would drift when the setting changes.
    assert "{unpaid_hold}" in texts and "{paid_hold}" in texts and "{support_phone}" in texts
    assert not re.search(r"\b(?:2|72) hours\b|\+44 161", texts)
    for name in ("HOLD_MINUTES_UNPAID", "HOLD_HOURS_PAID", "SHOP_SUPPORT_PHONE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    hold = faq_answer("hold_time", settings)
    assert hold is not None and "2 hours" in hold and "72 hours (3 days)" in hold
    assert settings.support_phone in (faq_answer("contact", settings) or "")


def test_no_answer_promises_delivery(faq_answers: dict[str, list[dict[str, str]]]) -> None:
    delivery = faq_answers["utter_faq/delivery"][0]["text"].lower()
    assert "don't deliver" in delivery and "click and collect" in delivery
    assert not re.search(r"next day|working days|we deliver|free over", delivery)


def test_held_out_off_topic_messages_are_not_in_the_training_data(training: list[Example]) -> None:
    from scripts.eval_scope import read_messages

    trained = {normalise_example(example.text) for example in training}
    held_out = [message for messages in read_messages().values() for message in messages]
    assert len(held_out) >= 300
    assert [message for message in held_out if normalise_example(message) in trained] == []


def test_generated_lookups_are_up_to_date_with_the_catalogue() -> None:
    assert stale_files() == [], "rerun: .venv/bin/python -m scripts.generate_nlu_lookups"


def test_generated_lookups_cover_every_store_and_are_valid_yaml() -> None:
    catalogue = read_catalogue()
    files = render_lookups(catalogue)
    stores = yaml.safe_load(files["stores.yml"])["nlu"]
    synonyms = {entry["synonym"] for entry in stores if "synonym" in entry}
    assert synonyms == {store_id for store_id, _ in catalogue.stores}
    for name in ("products.yml", "colours.yml", "sizes.yml"):
        assert any("lookup" in entry for entry in yaml.safe_load(files[name])["nlu"])


def test_store_aliases_name_one_store_each() -> None:
    aliases = store_aliases(read_catalogue())
    assert "town centre one" in aliases["arndale"]
    assert "the quays" in aliases["salford-quays"]
    assert "arndlae" in aliases["arndale"]  # a typo a shopper makes
    owners = Counter(alias for phrases in aliases.values() for alias in phrases)
    assert [alias for alias, count in owners.items() if count > 1] == []


def test_stores_of_every_market_are_in_the_lookups() -> None:
    """The Jakarta stores (data/catalog/markets/id/stores.csv) are named as Indonesian shoppers text them,
    and the everyday words in their names ("kota": city, "indah": beautiful, "indonesia") name no store."""
    aliases = store_aliases(read_catalogue())
    assert {"grand-indonesia", "kota-kasablanka", "pondok-indah", "arndale"} <= set(aliases)
    assert "kokas" in aliases["kota-kasablanka"] and "pim" in aliases["pondok-indah"]
    assert "grand indonesia" in aliases["grand-indonesia"]
    named = {alias for phrases in aliases.values() for alias in phrases}
    assert named & {"kota", "indah", "indonesia", "mall", "grand"} == set()


def test_every_annotated_store_maps_to_a_store_id(training: list[Example], holdout: list[Example]) -> None:
    """The actions use the store entity's value as a store id, so every tagged name must map to one (a Finnish
    name with its case ending, "Arndalessa", once the ending is read off, as the conversation engine does)."""
    aliases = store_aliases(read_catalogue())
    known = {alias: store_id for store_id, phrases in aliases.items() for alias in phrases}
    known.update({store_id: store_id for store_id in aliases})
    unmapped = sorted(
        span for span in {span.lower() for span in _annotated_spans(training + holdout, "store")}
        if span not in known and without_case_endings(span, known) not in known
    )
    assert unmapped == []


def test_annotated_entities_are_declared_in_the_domain(training: list[Example], holdout: list[Example]) -> None:
    declared = set(yaml.safe_load((ROOT / "domain.yml").read_text())["entities"])
    used = {kind for example in training + holdout for kind, _, _ in example.entities}
    assert used - declared == set()


def test_macro_f1_counts_a_fallback_as_a_miss_of_the_true_intent() -> None:
    score, per_label = macro_f1([("greet", "greet"), ("greet", "nlu_fallback"), ("faq", "faq")])
    assert per_label == {"faq": 1.0, "greet": pytest.approx(2 / 3)}
    assert score == pytest.approx((1.0 + 2 / 3) / 2)
