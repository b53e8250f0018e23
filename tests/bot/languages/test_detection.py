"""Which language a message is in, and when a conversation changes language."""

from __future__ import annotations

import pytest

from bot.languages.detection import asked_for, conversation_language, detect, foreign_language, no_word_known


@pytest.mark.parametrize("text, language", [
    ("ada sepatu trailblazer coklat 42 di arndale ga?", "id"),
    ("sy mau pesan 2", "id"),
    ("jam buka toko arndale hari minggu?", "id"),
    ("makasih kak", "id"),
    ("onko teillä trailblazer-kenkiä ruskeana?", "fi"),
    ("milloin arndale on auki sunnuntaina", "fi"),
    ("kiitos", "fi"),
    ("do you have the kinder fleece in navy at didsbury?", "en"),
    ("where is my order", "en"),
    ("Haben Sie Kinder Jacken im Angebot?", "German"),
])
def test_a_message_gets_its_language(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize("text, language", [
    # too short for lingua alone; the training examples' words tell them (catalogue names left out)
    ("cheers mate", "en"),
    ("stop texting me", "en"),
    ("get me a human", "en"),
    ("mksh min", "id"),
    ("sleeping bag ready gk gan", "id"),
    ("onks teil trailblazer koossa 43", "fi"),
    ("mita sa osaat", "fi"),
    ("en halua", "fi"),
    # languages we don't speak, typed the way phones type them
    ("donde esta mi pedido", "Spanish"),
    ("ban co giay size 42 ko", "Vietnamese"),
])
def test_short_sms_messages_get_their_language(text: str, language: str) -> None:
    assert detect(text) == language


def test_a_word_or_two_without_a_marker_word_keeps_any_conversations_language() -> None:
    assert conversation_language("fi", "ya") == "fi"
    assert conversation_language("id", "ya") == "id"
    assert conversation_language("fi", "makasih kak") == "id"


@pytest.mark.parametrize("text", ["9", "navy", "ok", "kinder fleece", "FS-BOOT-TRB-BRN-9", "arndale"])
def test_neutral_messages_have_no_language(text: str) -> None:
    assert detect(text) in (None, "en")
    assert foreign_language(text) is None


@pytest.mark.parametrize("previous, text, expected", [
    ("id", "navy", "id"),
    ("id", "9", "id"),
    ("id", "ok", "id"),
    ("fi", "trailblazer", "fi"),
    ("id", "ok thanks", "id"),
    ("id", "where is my order please", "en"),
    ("en", "ada sepatu coklat?", "id"),
    ("en", "kinder fleece", "en"),
    ("en", "yes please", "en"),
    ("id", "English please", "en"),
    ("en", "bahasa indonesia saja", "id"),
    ("en", "puhu suomea", "fi"),
    ("fi", "pake bahasa indonesia dong", "id"),
    ("id", "Bonjour, avez-vous des chaussures?", "id"),
])
def test_the_conversation_keeps_its_language_unless_the_shopper_clearly_switches(previous: str, text: str, expected: str) -> None:
    assert conversation_language(previous, text) == expected


def test_explicit_requests_are_read_in_each_language() -> None:
    assert asked_for("in english pls") == "en"
    assert asked_for("suomeksi kiitos") == "fi"
    assert asked_for("can you speak bahasa?") == "id"
    assert asked_for("do you have english breakfast tea") is None


@pytest.mark.parametrize("text", ["blorf qwzx", "zzkq plomf", "asdf ghjk"])
def test_two_typed_at_random_words_are_no_language(text: str) -> None:
    # Gibberish is a miss (the fallback, then a person), not a language to say "I speak ..." about.
    assert detect(text) is None


@pytest.mark.parametrize(("text", "language"), [("hola amigo", "Spanish"), ("ciao bella", "Italian")])
def test_two_real_words_of_a_language_we_dont_speak_are_still_told(text: str, language: str) -> None:
    assert detect(text) == language


@pytest.mark.parametrize(("text", "unheard_of"), [
    ("qwertyuiop zzz", True), ("blorf qwzx", True),
    ("defibrillator", False),  # one unknown word stays the classifier's to place
    ("is it safe to reheat rice", False), ("trailblazer", False), ("arndale 9", False),
])
def test_no_word_known_tells_typed_at_random_text(text: str, unheard_of: bool) -> None:
    assert no_word_known(text) is unheard_of
