"""The one style sheet every page uses (/site.css), with the retailer's brand colours from settings.

The rules live in web/site.css and read CSS variables only; this module prepends a `:root` block whose
values come from Settings (SHOP_BRAND_PRIMARY, SHOP_BRAND_ACCENT). A retailer's colour is never trusted
to be readable: the text drawn on it is chosen (white or near-black, whichever contrasts more), and where
the colour itself is used as text or as a control's border on white it is darkened until it meets WCAG AA
(4.5:1 for text, 3:1 for borders of controls).
"""

from __future__ import annotations

import re
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from bot.kernel.config import Settings

WEB_DIR = Path(__file__).parent / "web"
HEX_COLOUR = re.compile(r"\A#[0-9a-fA-F]{6}\Z")
# Pure black, not a softer ink: with it every background has a text colour of at least 4.58:1.
WHITE, INK = "#ffffff", "#000000"
AA_TEXT, AA_NON_TEXT = 4.5, 3.0
CONTROL_BORDER = "#6b756f"


def _channels(colour: str) -> tuple[int, int, int]:
    if not HEX_COLOUR.match(colour):
        raise ValueError(f"brand colours must be #rrggbb, got {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""

    def linear(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(v) for v in _channels(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio, 1.0 to 21.0."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def on_colour(background: str) -> str:
    """White or black text, whichever reads better on `background`."""
    return WHITE if contrast(background, WHITE) >= contrast(background, INK) else INK


def darkened_until(colour: str, ratio: float, against: str = WHITE) -> str:
    """`colour`, darkened in small steps (hue kept) until it contrasts `ratio`:1 with `against`."""
    r, g, b = _channels(colour)
    for step in range(101):
        scale = 1 - step / 100
        candidate = "#{:02x}{:02x}{:02x}".format(round(r * scale), round(g * scale), round(b * scale))
        if contrast(candidate, against) >= ratio:
            return candidate
    return "#000000"


def brand_variables(settings: Settings) -> dict[str, str]:
    """The CSS custom properties pages may use, by name (docs: /work/notes/shared_css.md)."""
    primary, accent = settings.brand_primary.lower(), settings.brand_accent.lower()
    return {
        "--brand-name": '"' + settings.retailer_name.replace("\\", "").replace('"', "") + '"',
        "--brand-primary": primary,  # header, primary buttons, the shopper's bubbles
        "--brand-on-primary": on_colour(primary),
        "--brand-ink": darkened_until(primary, AA_TEXT),  # the brand colour as text/links on white
        "--brand-accent": accent,  # highlights: badges, agent bubbles' edge
        "--brand-on-accent": on_colour(accent),
        "--brand-accent-ink": darkened_until(accent, AA_TEXT),
        # Borders of inputs and secondary buttons: neutral, 3:1 on white (WCAG 1.4.11).
        "--control-border": CONTROL_BORDER,
    }


@lru_cache(maxsize=8)
def _sheet(variables: tuple[tuple[str, str], ...]) -> str:
    root = ":root {\n" + "".join(f"  {name}: {value};\n" for name, value in variables) + "}\n"
    return root + (WEB_DIR / "site.css").read_text(encoding="utf-8")


def site_css(settings: Settings) -> tuple[str, str]:
    """The sheet's text and an ETag for it (it changes only with the settings or the file)."""
    text = _sheet(tuple(brand_variables(settings).items()))
    return text, '"' + sha256(text.encode()).hexdigest()[:16] + '"'


def favicon_svg(settings: Settings) -> str:
    """A square in the brand colour with the retailer's initial (no binary asset to keep in step)."""
    primary = settings.brand_primary.lower()
    initial = next((c for c in settings.retailer_name if c.isalnum()), "S").upper()
    return (
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>"
        f"<rect width='32' height='32' rx='6' fill='{primary}'/>"
        f"<text x='16' y='23' font-family='sans-serif' font-size='20' font-weight='700' text-anchor='middle' "
        f"fill='{on_colour(primary)}'>{initial}</text></svg>"
    )
