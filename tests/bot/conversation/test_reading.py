"""Reading typed replies against what the assistant asked: options, yes/no, escapes, corrections."""

from __future__ import annotations

import pytest

from bot.conversation.reading import (
    is_correction,
    is_escape,
    nth_named,
    ordinal,
    pick_option,
    wants_it,
    without_negated,
    yes_or_no,
)
from bot.conversation.state import Button

COLOURS = (Button("Green", '/inform{"colour":"Green"}'), Button("Navy", '/inform{"colour":"Navy"}'), Button("Any", '/inform{"colour":"any"}'))
PAY = (Button("Pay now by link", "/pay_link"), Button("Pay at pickup", "/pay_pickup"))
SIZES = tuple(Button(f"UK {n}", f'/inform{{"size":"{n}"}}') for n in ("6", "7", "8", "9", "10", "11", "12"))
SIZE_VALUES = ["6", "7", "8", "9", "10", "11", "12"]


@pytest.mark.parametrize("typed, title", [
    ("navy", "Navy"), ("Navy.", "Navy"), ("2", "Navy"), ("the second one", "Navy"), ("2nd", "Navy"),
    ("the navy one please", "Navy"), ("first", "Green"), ("last one", "Any"), ("nvay", None), ("grn", None),
    ("navy, at arndale", None), ("blue", None), ("4", None),
])
def test_typed_colour_choices(typed: str, title: str | None) -> None:
    picked = pick_option(typed, COLOURS)
    assert (picked.title if picked else None) == title


@pytest.mark.parametrize("typed, title", [
    ("pay at pickup", "Pay at pickup"), ("Pay at pickup", "Pay at pickup"), ("pay at pikup", "Pay at pickup"),
    ("1", "Pay now by link"), ("the first one", "Pay now by link"),
])
def test_typed_payment_choices(typed: str, title: str) -> None:
    assert pick_option(typed, PAY).title == title  # type: ignore[union-attr]


def test_a_size_typed_as_its_value_beats_its_position() -> None:
    # "9" to a size question means UK 9, not the 9th option; "2" (no such size) means the 2nd option.
    assert pick_option("9", SIZES, values=SIZE_VALUES).title == "UK 9"  # type: ignore[union-attr]
    assert pick_option("2", SIZES, values=SIZE_VALUES).title == "UK 7"  # type: ignore[union-attr]


def test_ordinals_stay_within_the_options() -> None:
    assert ordinal("the third one", 3) == 3
    assert ordinal("the third one", 2) is None
    assert ordinal("i'll take the 2nd", 5) == 2
    assert ordinal("2 of those", 5) is None


@pytest.mark.parametrize("typed, meaning", [
    ("yes", True), ("yeah go on", True), ("ok", True), ("yes cancel it", True), ("sure thing", True), ("y", True),
    ("no", False), ("nah", False), ("no thanks", False), ("nope im ok", False),
    ("no, the half zip one", None), ("no i meant blue", None), ("ok back to my basket", None),
    ("how heavy is that one", None), ("yes do you have the fleece in navy at arndale", None), ("", None),
])
def test_yes_and_no(typed: str, meaning: bool | None) -> None:
    assert yes_or_no(typed) is meaning


@pytest.mark.parametrize("typed", ["start over", "never mind", "nvm", "forget it", "cancel that", "ok start again please"])
def test_escapes(typed: str) -> None:
    assert is_escape(typed)


@pytest.mark.parametrize("typed", ["cancel my order", "never mind the fleece, do you have boots", "forget", "start"])
def test_not_escapes(typed: str) -> None:
    assert not is_escape(typed)


@pytest.mark.parametrize("typed", ["no, I meant blue", "actually size 10", "make it stockport", "sorry i meant 9.5", "oh wait i wanted navy"])
def test_corrections(typed: str) -> None:
    assert is_correction(typed)


@pytest.mark.parametrize("typed, wanted", [
    ("add them", True), ("reserve 2 at arndale", True), ("i'll take it", True), ("2 of those in green", True),
    ("ok add a grey beanie", True), ("have you got boots", False), ("take the beanie out", False), ("order status", False),
])
def test_wanting_it(typed: str, wanted: bool) -> None:
    assert wants_it(typed) is wanted


def test_negated_words_are_dropped() -> None:
    assert without_negated("oops i meant salford not stockport").split() == ["oops", "i", "meant", "salford"]
    assert "boots" not in without_negated("no not the boots, the walking shoes")


def test_an_ordinal_inside_a_longer_message_picks_a_position() -> None:
    assert nth_named("how much is the second one", 3, with_noun=True) == 1
    assert nth_named("whats the address of the last store", 2) == 1
    assert nth_named("the second store please", 3) == 1
    assert nth_named("the fourth one", 3) is None  # only three to choose from
    assert nth_named("second hand boots?", 3, with_noun=True) is None  # no "one"/"store" after it
