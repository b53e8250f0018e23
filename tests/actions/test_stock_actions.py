"""Stock actions with trackers built from dicts, against the seeded demo catalogue."""

from __future__ import annotations

from rasa_sdk.events import SlotSet

from actions.stock import ActionAskColour, ActionCheckStock, ActionParseStockQuery, ValidateStockForm
from bot.replies.stock import format_stock_answer
from bot.services.inventory import check_stock, set_on_hand
from tests.actions.trackers import dispatcher, tracker
from tests.support.domain import load_domain


async def test_parse_picks_up_everything_the_message_names(catalog_shop) -> None:
    events = await ActionParseStockQuery().run(
        dispatcher(), tracker("hav u got the trailblazer boots in brown sz 9 at arndale?"), load_domain()
    )
    assert events == [
        SlotSet("product", "FS-BOOT-TRB"),
        SlotSet("colour", "Brown"),
        SlotSet("size", "9"),
        SlotSet("store", "arndale"),
        SlotSet("stock_goal", "check"),
    ]


async def test_follow_up_keeps_the_product_and_changes_only_what_is_named(catalog_shop) -> None:
    slots = {"product": "FS-FLC-KIN", "colour": "Navy", "size": "M", "store": "arndale"}
    events = await ActionParseStockQuery().run(dispatcher(), tracker("do you have it in L?", slots=slots), load_domain())
    assert events == [SlotSet("size", "L"), SlotSet("stock_goal", "check")]


async def test_unmatched_new_question_forgets_the_old_product_so_the_form_asks(catalog_shop) -> None:
    slots = {"product": "FS-FLC-KIN", "colour": "Navy", "size": "M", "store": "arndale"}
    events = await ActionParseStockQuery().run(
        dispatcher(), tracker("do you sell unicorn onesies", slots=slots), load_domain()
    )
    assert events == [SlotSet("product", None), SlotSet("colour", None), SlotSet("size", None), SlotSet("stock_goal", "check")]


async def test_form_requires_colour_and_size_only_when_the_product_has_a_choice(catalog_shop) -> None:
    form = ValidateStockForm()
    boots = tracker(slots={"product": "FS-BOOT-TRB"})
    assert await form.required_slots([], dispatcher(), boots, load_domain()) == ["product", "colour", "size", "store"]
    nothing_yet = tracker(slots={})
    assert await form.required_slots([], dispatcher(), nothing_yet, load_domain()) == ["product", "store"]


async def test_form_reads_the_answer_to_its_own_question(catalog_shop) -> None:
    form = ValidateStockForm()
    asked = tracker("navy", intent="inform", slots={"product": "FS-FLC-KIN", "requested_slot": "colour"}, active_loop="stock_form")
    assert await form.extract_colour(dispatcher(), asked, load_domain()) == {"colour": "Navy"}
    anything = tracker("any", intent="inform", slots={"product": "FS-FLC-KIN", "requested_slot": "size"}, active_loop="stock_form")
    assert await form.extract_size(dispatcher(), anything, load_domain()) == {"size": "any"}
    store = tracker("the didsbury one", intent="inform", slots={"requested_slot": "store"}, active_loop="stock_form")
    assert await form.extract_store(dispatcher(), store, load_domain()) == {"store": "didsbury"}


async def test_unknown_product_answer_says_so_and_fills_nothing(catalog_shop) -> None:
    said = dispatcher()
    asked = tracker("zzqx flurble", intent="inform", slots={"requested_slot": "product"}, active_loop="stock_form")
    assert await ValidateStockForm().extract_product(said, asked, load_domain()) == {}
    assert said.messages and "zzqx flurble" in said.messages[0]["text"]


async def test_colour_the_product_does_not_come_in_is_refused(catalog_shop) -> None:
    said = dispatcher()
    result = await ValidateStockForm().validate_colour("Tartan", said, tracker(slots={"product": "FS-FLC-KIN"}), load_domain())
    assert result == {"colour": None}
    assert "doesn't come in Tartan" in said.messages[0]["text"]


async def test_ask_colour_offers_the_products_real_colours(catalog_shop) -> None:
    said = dispatcher()
    await ActionAskColour().run(said, tracker(slots={"product": "FS-FLC-KIN"}), load_domain())
    titles = [button["title"] for button in said.messages[0]["buttons"]]
    assert "Navy" in titles and titles[-1] == "Any"


async def test_check_stock_answers_from_the_database_now(catalog_shop) -> None:
    slots = {"product": "FS-BOOT-TRB", "colour": "Brown", "size": "9", "store": "arndale"}
    catalog_shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 6)
    said = dispatcher()
    await ActionCheckStock().run(said, tracker(slots=slots), load_domain())
    assert said.messages[0]["text"] == format_stock_answer(catalog_shop.run(check_stock, "FS-BOOT-TRB", "arndale", "Brown", "9"))

    catalog_shop.run(set_on_hand, "arndale", "FS-BOOT-TRB-BRN-9", 0)
    said = dispatcher()
    await ActionCheckStock().run(said, tracker(slots=slots), load_domain())
    assert said.messages[0]["text"].startswith("Sorry, Arndale is out of")


async def test_a_bare_word_it_cannot_place_is_admitted_not_ignored(catalog_shop) -> None:
    said = dispatcher()
    events = await ActionParseStockQuery().run(said, tracker("blorf", intent="inform"), load_domain())
    assert [message["text"] for message in said.messages] == ["Sorry, I didn't catch that."]
    assert events == [SlotSet("product", None), SlotSet("colour", None), SlotSet("size", None), SlotSet("stock_goal", "check")]


async def test_a_bare_store_name_is_understood_silently(catalog_shop) -> None:
    said = dispatcher()
    events = await ActionParseStockQuery().run(said, tracker("didsbury", intent="inform"), load_domain())
    assert said.messages == []
    assert SlotSet("store", "didsbury") in events
