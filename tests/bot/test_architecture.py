"""The house rules of bot/'s layout, read from the code itself.

(a) No import circle between bot's packages (a package is a folder directly under bot/): the package
    graph is built with `ast` from the source, so an import inside a function counts as much as one at
    the top of a file.
(b) Every module of bot/ imports in a fresh interpreter where `rasa` and `rasa_sdk` cannot be imported,
    except the few whose whole job is to plug into Rasa (listed below with the reason).
(c) No module of bot/, actions/ or connectors/ is over ~400 lines, and docs/packages.svg is the drawing of
    the current graph.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from scripts.package_graph import ROOT, bot_modules, describe_cycle, find_cycle, imported_modules, package_graph, plain_svg

# Modules that exist to run inside Rasa or to host rasa_sdk; everything else in bot/ must import without either.
RASA_PLUG_INS = {
    # Loaded by the Rasa server from endpoints.yml / config.yml: they subclass Rasa's own classes.
    "bot.adapters.rasa_bounded_tracker_store": "rasa",
    "bot.adapters.rasa_faq_selector": "rasa",
    "bot.adapters.rasa_funnel_broker": "rasa",
    "bot.adapters.rasa_lock_store": "rasa",
    "bot.adapters.rasa_runtime": "rasa",
    "bot.adapters.rasa_waking_lock_store": "rasa",
    # The rasa_sdk action endpoint (`/webhook`), and the app that mounts it beside the commerce API.
    "bot.server.actions_routes": "rasa_sdk",
    "bot.server.app": "rasa_sdk",
}


def test_bots_packages_import_each_other_without_a_circle() -> None:
    graph = package_graph()
    assert {"bot.kernel", "bot.catalog", "bot.ordering", "bot.messaging", "bot.conversation"} <= set(graph)
    assert graph["bot.ordering"], "the graph found no imports at all: the reader is broken, not the code clean"

    cycle = find_cycle(graph)

    assert cycle is None, describe_cycle(graph, cycle or [])


def test_bot_imports_nothing_from_the_rasa_glue_or_the_tooling() -> None:
    # connectors/ and actions/ are Rasa's side of the house; scripts/ and tests/ are tooling. bot/ is below all four.
    upward = sorted(
        f"{module} imports {target}"
        for module, path in bot_modules().items()
        for target in imported_modules(module, path)
        if target.split(".")[0] in ("connectors", "actions", "scripts", "tests")
    )

    assert upward == []


# "No module over ~400 lines" (developers' guide); Alembic revisions are history and are left as written.
MAX_MODULE_LINES = 420


def test_no_module_is_over_about_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for folder in ("bot", "actions", "connectors")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in path.parts and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }

    assert too_long == {}, "split these along a real seam (see docs/architecture.md)"


def test_every_table_is_registered_by_the_models_package() -> None:
    # Relationships name tables by string and Alembic compares Base.metadata: both see only the areas that
    # bot/kernel/models/__init__.py imports, so a table defined in an area module must be exported there.
    import bot.kernel.models as models

    defined = {
        node.name
        for path in sorted((ROOT / "bot" / "kernel" / "models").glob("*.py"))
        for node in ast.parse(path.read_text(encoding="utf-8")).body
        if isinstance(node, ast.ClassDef) and any(getattr(base, "id", None) == "Base" for base in node.bases)
    }

    assert len(defined) > 20
    assert defined - set(models.__all__) == set()
    assert {table.name for table in models.Base.metadata.sorted_tables} == {getattr(models, name).__tablename__ for name in defined}


def test_the_cycle_finder_names_a_circle_when_there_is_one(tmp_path: Path) -> None:
    # The check above is only worth something if it can fail: two packages importing each other.
    for package, other in (("alpha", "beta"), ("beta", "alpha")):
        folder = tmp_path / "bot" / package
        folder.mkdir(parents=True)
        (folder / "__init__.py").write_text("")
        (folder / "things.py").write_text(f"def f():\n    from bot.{other}.things import f\n")
    (tmp_path / "bot" / "__init__.py").write_text("")
    graph = package_graph(tmp_path)

    cycle = find_cycle(graph)

    assert cycle == ["bot.alpha", "bot.beta", "bot.alpha"]
    assert "bot.alpha.things imports bot.beta.things" in describe_cycle(graph, cycle)


def test_the_picture_of_the_packages_matches_the_code() -> None:
    drawn = (ROOT / "docs" / "packages.svg").read_text(encoding="utf-8")

    assert drawn == plain_svg(package_graph()), "redraw it: python -m scripts.package_graph --svg docs/packages.svg"


_IMPORT_WITHOUT_RASA = textwrap.dedent(
    """
    import importlib, json, sys

    class RefuseRasa:
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if top in ("rasa", "rasa_sdk") and top not in ALLOWED:
                raise ImportError(f"{name} is blocked: bot/ must import without Rasa")
            return None

    ALLOWED = set(json.loads(sys.argv[2]))
    sys.meta_path.insert(0, RefuseRasa())
    failures = {}
    for module in json.loads(sys.argv[1]):
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - every failure is reported, not only the first
            failures[module] = f"{type(error).__name__}: {error}"
    print(json.dumps(failures))
    """
)


def _import_in_fresh_interpreter(modules: list[str], allowed: list[str]) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT_RASA, json.dumps(modules), json.dumps(allowed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_module_of_bot_imports_with_rasa_blocked() -> None:
    modules = [m for m in bot_modules() if not m.endswith("__main__") and m not in RASA_PLUG_INS]
    assert len(modules) > 100

    failures = _import_in_fresh_interpreter(modules, allowed=[])

    assert failures == {}


def test_the_exempt_modules_really_need_rasa() -> None:
    # The list above must not rot: a module that imports without Rasa leaves it, so the rule covers it.
    assert set(RASA_PLUG_INS) <= set(bot_modules())

    failures = _import_in_fresh_interpreter(sorted(RASA_PLUG_INS), allowed=[])

    assert sorted(failures) == sorted(RASA_PLUG_INS)
    assert all("must import without Rasa" in failure for failure in failures.values())
