"""Every shopper-facing text is in data/languages/messages.pot and translated in each language's catalogue
(scripts/update_messages.py --check): a new or changed English text fails here until it is translated."""

from __future__ import annotations

from scripts.update_messages import extract, problems


def test_every_text_is_extracted_and_translated() -> None:
    template = extract()
    assert len(template) > 200
    assert problems(template) == []
