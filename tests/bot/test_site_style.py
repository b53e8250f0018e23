"""The shared style sheet: brand colours from settings, and text on them always meets WCAG AA."""

from __future__ import annotations

import re

import pytest

from bot.kernel.config import Settings
from bot.server.site_style import AA_NON_TEXT, AA_TEXT, CONTROL_BORDER, brand_variables, contrast, site_css

WHITE = "#ffffff"


def test_known_contrast_ratios() -> None:
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("primary", ["#24543a", "#ffd700", "#00aaff", "#ffffff", "#000000", "#e60012", "#808080", "#777777"])
def test_any_brand_colour_gives_readable_text(primary: str) -> None:
    variables = brand_variables(Settings(brand_primary=primary, brand_accent=primary))
    assert variables["--brand-primary"] == primary
    assert contrast(variables["--brand-on-primary"], primary) >= AA_TEXT
    assert contrast(variables["--brand-ink"], WHITE) >= AA_TEXT
    assert contrast(variables["--brand-accent-ink"], WHITE) >= AA_TEXT


def test_control_borders_meet_non_text_contrast_on_white_and_grey() -> None:
    assert contrast(CONTROL_BORDER, WHITE) >= AA_NON_TEXT
    assert contrast(CONTROL_BORDER, "#f1f4f2") >= AA_NON_TEXT


def test_the_sheet_starts_with_the_settings_colours() -> None:
    text, etag = site_css(Settings(brand_primary="#7a1f5c", retailer_name='Hill "&" Dale'))
    root = text.split("}", 1)[0]
    assert "--brand-primary: #7a1f5c;" in root
    assert '--brand-name: "Hill & Dale";' in root
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    assert site_css(Settings(brand_primary="#7a1f5c", retailer_name='Hill "&" Dale'))[1] == etag
    assert site_css(Settings(brand_primary="#7a1f5d"))[1] != etag


def test_a_malformed_brand_colour_is_refused_when_settings_are_read(monkeypatch) -> None:
    monkeypatch.setenv("SHOP_BRAND_PRIMARY", "green")
    with pytest.raises(ValueError, match="SHOP_BRAND_PRIMARY"):
        Settings()
