"""How shoppers spell things: the catalogue's vocabulary (sizes, colours, spelling variants, stop words) and the
pure text helpers that bring shopper text and catalogue names to one form."""

from __future__ import annotations

import re


ONE_SIZE = "One Size"
LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")

STOPWORDS = frozenset(
    """
    a an the and or of in on at to for with from by near nearest me my i im id ive you your u ur ya yo
    we us our it its this that these those them they one ones there here is are was be do does did dont
    have has hav av got get gt gonna want wanna need needs looking look lookin find any anything some
    stock instock stocked available availability avail still left please pls plz thanks thank thx ta cheers
    hi hello hey hiya mate can could would will shall like just also too what wat wot whats which how
    many much if buy reserve collect collection click pick up pickup price cost costs check checking tell
    know see shop store branch outlet outfitters today tomorrow now pair pairs size sizes sz colour color
    colours colors yes no ok okay thats theres im am
    basket baskets cart trolley back order orders add remove item items thing things stuff again instead
    actually meant mean sorry oops wait other another else more less same kind type sort way
    well as too also aswell then instead either off hold lol
    """.split()
)

# Spelling variants that mean the same thing, applied to shopper text and catalogue names alike.
_CANONICAL = {
    "hoody": "hoodie", "tee": "tshirt", "wellie": "welly", "wellington": "welly", "rucksac": "rucksack",
    "headlamp": "headtorch", "trainer": "shoe", "sneaker": "shoe", "pant": "trouser", "trew": "trouser",
    "mitten": "glove", "litre": "l", "liter": "l", "beany": "beanie", "man": "person", "berth": "person",
}

# Words a shopper uses for a product that its name does not contain ("coat" for a parka).
RELATED = {
    "jacket": ("coat",), "parka": ("coat", "jacket"), "fleece": ("jumper",),
    "hoodie": ("jumper", "sweatshirt"), "tshirt": ("top", "shirt"), "shirt": ("top",),
    "trouser": ("bottom",), "overtrouser": ("trouser", "waterproof"), "chino": ("trouser",),
    "short": ("bottom",), "backpack": ("rucksack", "bag", "pack"), "rucksack": ("backpack", "bag", "pack"),
    "daypack": ("rucksack", "backpack", "bag", "pack"), "beanie": ("hat", "woolly", "bobble"),
    "pole": ("stick",), "bottle": ("flask",), "torch": ("headtorch", "lamp", "light"),
    "mat": ("pad", "roll"), "stove": ("cooker", "burner"), "chair": ("seat", "stool"),
    "welly": ("boot",), "sandal": ("sandle",), "sock": ("socks",),
    "insulated": ("padded", "puffer", "quilted"), "down": ("puffer", "padded"),
}
NAME_WEIGHT, BRAND_WEIGHT, RELATED_WEIGHT, CATEGORY_WEIGHT = 1.0, 0.7, 0.85, 0.6

COLOUR_SYNONYMS = {
    "gray": "grey", "gry": "grey", "light grey": "grey", "dark grey": "charcoal", "charcoal grey": "charcoal",
    "blk": "black", "blck": "black", "brn": "brown", "brwn": "brown", "dark brown": "brown", "nvy": "navy",
    "navy blue": "navy", "dark blue": "navy", "blu": "blue", "light blue": "blue", "sky blue": "blue",
    "grn": "green", "forest green": "green", "dark green": "green", "olive green": "olive",
    "wht": "white", "maroon": "burgundy", "wine": "burgundy", "beige": "sand", "camel": "tan",
    "mustard": "yellow", "gold": "yellow", "turquoise": "teal",
}

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
}
NUM = r"\d{1,2}(?:\.5)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
HALF = r"(?: and a half| and half| n a half| 1/2| half)?"
LETTER_SIZE_WORDS = {
    "extra extra large": "XXL", "xx large": "XXL", "xxlarge": "XXL", "2x large": "XXL", "2xl": "XXL",
    "xxl": "XXL", "extra large": "XL", "x large": "XL", "xlarge": "XL", "xl": "XL", "extra small": "XS",
    "x small": "XS", "xsmall": "XS", "xs": "XS", "small": "S", "sml": "S", "medium": "M", "meduim": "M",
    "med": "M", "large": "L", "lrg": "L", "lge": "L", "one size": ONE_SIZE, "onesize": ONE_SIZE,
}
SIZE_MARKER = r"(?:size|sz|sze|siz|uk|size uk|a uk|waist|w)"
SKU_PATTERN = re.compile(r"\b[a-z]{2,4}(?:-[a-z0-9.]+){1,4}\b", re.IGNORECASE)
QUANTITY_PATTERNS = (
    re.compile(rf" ({NUM}|a couple) (?:pairs of|pair of|pairs|of the|of|x) "),
    # "2 green camp chairs", "3 stoves at stockport": a count opening the message, before the thing itself.
    re.compile(rf"^ ({NUM}|a couple) (?!person|people|man|men|in |inch|litre|liter|l |year|yr|yo |pack|x |and a half|half|uk|size|sz)(?=(?P<next>[a-z]+))"),
    # "reserve 2", "add two", "i'll take 3": a number right after a verb of buying is how many.
    re.compile(rf" (?:reserve|add|take|get|want|need|hold|order|book|buy|put|grab|have|make it|make that|make them) ({NUM}|a couple)(?= (?!and a half|n a half|half|uk|w )|$)"),
    re.compile(r" x ?(\d{1,2}) "),
    re.compile(r" (\d{1,2}) ?x "),
)
GENERIC_STORE_WORDS = frozenset({"centre", "center", "store", "shop", "manchester", "the", "retail", "park", "mall", "plaza", "grand"})


# --- text helpers ---------------------------------------------------------------------------------


# Phrases whose words mean something else apart: "packs down small" is neither down nor size S.
_PHRASES = (
    (re.compile(r"\bpack(?:s|ed)?\s+(?:down\s+)?(?:really\s+|very\s+)?small\b|\bpacks?\s+down\b|\bpackable\b", re.I), " packable "),
    (re.compile(r"\bbum\s*bags?\b|\bfanny\s*packs?\b|\bwaist\s*bags?\b", re.I), " hip pack "),
    (re.compile(r"\bwellies\b|\bwelly\b", re.I), " wellington "),
)


def shoppers_phrases(text: str) -> str:
    """Shoppers' phrases in the catalogue's words ("packs down small" -> "packable", "bum bag" -> "hip pack")."""
    for pattern, meaning in _PHRASES:
        text = pattern.sub(meaning, text)
    return text


def normalise_text(text: str) -> str:
    """Lower-cases and simplifies shopper text to space-separated words, padded with one space.

    Apostrophes vanish ("i'm" -> "im"), "½" becomes ".5", litres join their number ("25 litre" -> "25l"),
    and every other symbol becomes a space, except "." inside numbers and "/" in "1/2".
    """
    cleaned = text.lower().replace("'", "").replace("’", "").replace("½", ".5").replace("&", " and ")
    cleaned = re.sub(r"(?<!\d)\.(?=5\b)", "0.", cleaned)  # ".5" -> "0.5" keeps the dot rule simple
    cleaned = re.sub(r"[^a-z0-9./]+", " ", cleaned)
    cleaned = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", cleaned)
    cleaned = re.sub(r"(?<!\d)/|/(?!\d)", " ", cleaned)
    cleaned = re.sub(r"\b(\d+) ?(?:l|ltr|litre|litres|liter|liters)\b", r"\1l", cleaned)
    cleaned = re.sub(r"\b0\.5\b", ".5", cleaned)
    return " " + re.sub(r"\s+", " ", cleaned).strip() + " "


def stem_word(word: str) -> str:
    """Reduces a word to a shared form: plurals to singular, spelling variants to one spelling."""
    if len(word) > 3 and not word[0].isdigit():
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith(("sses", "ches", "shes", "xes")):
            word = word[:-2]
        elif word.endswith("s") and not word.endswith(("ss", "us")):
            word = word[:-1]
    return _CANONICAL.get(word, word)


def size_sort_key(size: str) -> tuple[int, float, str]:
    """Orders sizes the way a shop lists them: numbers ascending, then XS..XXL, then anything else."""
    try:
        return (0, float(size), size)
    except ValueError:
        pass
    upper = size.upper()
    if upper in LETTER_SIZES:
        return (1, float(LETTER_SIZES.index(upper)), size)
    ages = re.match(r"(\d{1,2})\s*-\s*\d{1,2}$", size)
    if ages:  # children's ages: "3-4" before "11-12"
        return (2, float(ages.group(1)), size)
    return (3, 0.0, size)


def number_value(word: str) -> float | None:
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


def size_text(number: str, half: str = "") -> str | None:
    value = number_value(number)
    if value is None:
        return None
    if half.strip():
        value += 0.5
    return str(int(value)) if value == int(value) else f"{value:g}"


def remove_match(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end():]


# --- the index ------------------------------------------------------------------------------------
