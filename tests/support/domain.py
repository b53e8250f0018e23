from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from scripts.shop_env import PROJECT_ROOT


@lru_cache(maxsize=1)
def load_domain() -> dict[str, Any]:
    """domain.yml as the action server receives it (a plain dict)."""
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
