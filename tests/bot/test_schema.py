"""The Alembic migrations build exactly the schema bot/kernel/models/ describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from bot.cli.commands import migrate
from bot.kernel.models import Base


def test_migrations_and_models_agree(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    migrate(url)
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert differences == []


def test_a_fresh_checkout_migrates_and_seeds_into_a_state_folder_that_does_not_exist_yet(tmp_path) -> None:
    """`make run` on a fresh clone: there is no var/ folder until the first migrate creates it."""
    import os
    import subprocess
    import sys

    from bot.kernel.config import PROJECT_ROOT

    state_dir = tmp_path / "fresh-checkout" / "var"
    env = {k: v for k, v in os.environ.items() if k != "SHOP_DATABASE_URL"}
    env.update(SHOP_STATE_DIR=str(state_dir), PYTHONPATH=str(PROJECT_ROOT))
    for command in (["migrate"], ["seed"]):
        done = subprocess.run([sys.executable, "-m", "bot.cli", *command], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (state_dir / "shop.db").exists()
