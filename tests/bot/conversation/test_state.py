"""The dialogue state survives the tracker's JSON and keeps what an interruption must not lose."""

from __future__ import annotations

from bot.conversation.state import Button, DialogueState, Focus, Question


def test_state_round_trips_through_json() -> None:
    state = DialogueState(
        focus=Focus(product="FS-FLC-KIN", colour="Navy", store="arndale", quantity=2),
        question=Question("check", "size", (Button("M", "/inform"),), asked=2, data={"subject": "the fleece"}),
        listed=(Button("A", "/a"),),
        recent=("FS-BOOT-TRB", "FS-FLC-KIN"),
        last={"goal": "check"},
        misses=1,
    )
    assert DialogueState.from_json(state.to_json()) == state


def test_anything_unreadable_starts_afresh() -> None:
    assert DialogueState.from_json(None) == DialogueState()
    assert DialogueState.from_json({"focus": {"no_such_field": 1}}) == DialogueState()
    assert DialogueState.from_json("garbage") == DialogueState()


def test_an_interrupted_question_comes_back_with_its_focus() -> None:
    asked = DialogueState(focus=Focus(product="FS-FLC-KIN", colour="Navy"), question=Question("check", "size"))
    meanwhile = asked.suspend().with_focus(product="FS-BOOT-TRB", colour=None, store="arndale")
    back, question = meanwhile.resume()
    assert question is not None and (question.goal, question.about) == ("check", "size")
    # The fleece again, with the store found meanwhile ("nearest to chorlton" while asked which store).
    assert back.focus == Focus(product="FS-FLC-KIN", colour="Navy", store="arndale")
    assert back.suspended == ()


def test_recent_products_keep_the_newest_three() -> None:
    state = DialogueState()
    for product in ("A", "B", "B", "C", "D"):
        state = state.with_focus(product=product).remembering_focus()
    assert state.recent == ("B", "C", "D")
