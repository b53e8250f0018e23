"""Indonesian and Finnish shopping words read as the engine's English."""

from __future__ import annotations

from bot.languages.terms import term, to_english

NAMES = ("arndale", "Arndale", "didsbury", "Didsbury", "stockport", "Chorlton")


def test_indonesian_colours_categories_and_places_words_become_english() -> None:
    assert to_english("ada sepatu trailblazer coklat 42 di arndale ga?", "id") == "do you have boots trailblazer brown 42 at arndale?"
    assert to_english("sy mau pesan 2 kak", "id") == "reserve 2"
    assert to_english("kinder fleece biru dongker ukuran M", "id") == "kinder fleece navy size M"


def test_whole_answers_become_yes_and_no() -> None:
    assert to_english("iya kak", "id") == "yes"
    assert to_english("ga jadi.", "id") == "no"
    assert to_english("ei kiitos", "fi") == "no thanks"


def test_finnish_case_forms_and_endings_on_names() -> None:
    assert to_english("onko teillä trailblazer-kenkiä ruskeana?", "fi", NAMES) == "do you have trailblazer boots brown?"
    assert to_english("onko arndalessa pipoa", "fi", NAMES) == "onko arndale beanie"
    assert to_english("haen didsburystä", "fi", NAMES) == "haen didsbury"
    assert to_english("lähin kauppa chorltonia", "fi", NAMES) == "nearest store chorlton"


def test_english_and_unknown_words_pass_unchanged() -> None:
    assert to_english("do you have it in brown", "en") == "do you have it in brown"
    assert to_english("trailblazer ditempat", "id") == "trailblazer ditempat"
    assert term("coklat", "id") == "brown" and term("Trailblazer", "id") == "Trailblazer"
