"""The environment both processes run with: defaults, plus local secrets kept outside the repository.

Secrets nobody set (Rasa's API token, the web chat and sandbox webhook secrets, the session key) are
generated once into ~/.config/fellside-shop/dev-secrets.env (mode 600) and reused, so a second run
keeps sessions and signatures valid. Real deployments set them as environment variables instead, with
SHOP_PRODUCTION=1: then the file is never read or written, and a blank secret stops the program.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from bot.kernel.config import PRODUCTION_SECRETS, production_mode, refuse_blank_secrets_in_production

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GENERATED_SECRETS = PRODUCTION_SECRETS
RASA_INPUTS = ("config.yml", "domain.yml", "data/nlu", "data/rules", "data/stories", "data/responses")


def secrets_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / "fellside-shop" / "dev-secrets.env"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("SHOP_CACHE_DIR", base / "fellside-shop"))


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def local_secrets() -> dict[str, str]:
    """Secrets from the environment, else from the local secrets file, generating what is missing."""
    path = secrets_file()
    stored = _read_env_file(path)
    missing = [name for name in GENERATED_SECRETS if name not in stored]
    if missing:
        for name in missing:
            stored[name] = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text("".join(f"{key}={value}\n" for key, value in sorted(stored.items())))
        os.chmod(path, 0o600)
    return {name: os.environ.get(name) or stored[name] for name in GENERATED_SECRETS}


def shop_environment() -> dict[str, str]:
    env = dict(os.environ)
    if production_mode():
        refuse_blank_secrets_in_production("this command")
    else:
        env.update(local_secrets())
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONPATH", str(PROJECT_ROOT))
    return env


def rasa_inputs_hash() -> str:
    """A digest of everything training reads, so a model is retrained only when one of them changed."""
    digest = hashlib.sha256()
    for name in RASA_INPUTS:
        path = PROJECT_ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
        for file in files:
            digest.update(str(file.relative_to(PROJECT_ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return cache_dir() / "models" / f"fellside-{rasa_inputs_hash()}.tar.gz"
