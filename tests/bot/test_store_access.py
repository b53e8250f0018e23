"""Store API keys and dashboard passwords: hashed at rest, shown once, revocable, per store."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from bot.catalog.stock_query import UnknownStore
from bot.cli.store import main as store_cli
from bot.kernel.models import AuditEntry, StoreCredential
from bot.identity.store_access import (
    WeakPassword,
    authenticate_api_key,
    check_dashboard_login,
    create_api_key,
    dashboard_credential_is_live,
    list_api_keys,
    revoke_api_key,
    set_dashboard_password,
)
from bot.kernel.shop import Shop
from tests.bot.factories import add_store


@pytest.fixture
def stores(shop: Shop) -> Shop:
    add_store(shop, "leeds")
    add_store(shop, "york")
    return shop


def _audit_actions(shop: Shop) -> list[tuple[str, str | None]]:
    with shop.uow() as uow:
        return [(row.action, row.store_id) for row in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_a_new_key_authenticates_as_its_store_and_only_its_hash_is_stored(stores: Shop) -> None:
    prefix, key = stores.run(create_api_key, "leeds", "till export")
    assert key.startswith(f"{prefix}.") and len(key.split(".", 1)[1]) >= 40

    principal = stores.run(authenticate_api_key, key)
    assert principal is not None
    assert (principal.store_id, principal.key_prefix, principal.kind, principal.label) == ("leeds", prefix, "api_key", "till export")
    assert principal.actor == f"store_api:{prefix}"

    with stores.uow() as uow:
        stored_hash = uow.session.scalars(select(StoreCredential.secret_hash)).one()
    secret = key.split(".", 1)[1]
    assert stored_hash.startswith("$argon2id$") and secret not in stored_hash
    assert [(k.key_prefix, k.label, k.revoked_at) for k in stores.run(list_api_keys, "leeds")] == [(prefix, "till export", None)]
    assert _audit_actions(stores) == [("api_key_created", "leeds")]


@pytest.mark.parametrize("mangle", [
    lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # wrong secret
    lambda key: "sk0000000000." + key.split(".", 1)[1],  # unknown prefix
    lambda key: key.split(".", 1)[0],  # prefix only
    lambda key: "",
    lambda key: "." * 3,
    lambda key: "x" * 40 + "." + key.split(".", 1)[1],  # prefix too long to be one
])
def test_anything_but_the_exact_key_is_refused(stores: Shop, mangle) -> None:  # type: ignore[no-untyped-def]
    _prefix, key = stores.run(create_api_key, "leeds", "")
    assert stores.run(authenticate_api_key, mangle(key)) is None


def test_revoked_keys_stop_working_at_once(stores: Shop) -> None:
    prefix, key = stores.run(create_api_key, "leeds", "old till")
    _other_prefix, other_key = stores.run(create_api_key, "leeds", "new till")
    assert stores.run(revoke_api_key, prefix) is True
    assert stores.run(authenticate_api_key, key) is None
    assert stores.run(authenticate_api_key, other_key) is not None  # the other key is untouched
    assert stores.run(revoke_api_key, prefix) is False  # already revoked
    assert stores.run(revoke_api_key, "sknosuchkey") is False
    assert [action for action, _store in _audit_actions(stores)] == ["api_key_created", "api_key_created", "api_key_revoked"]


def test_keys_need_a_real_store(stores: Shop) -> None:
    with pytest.raises(UnknownStore):
        stores.run(create_api_key, "atlantis", "")


def test_dashboard_password_login_per_store(stores: Shop) -> None:
    stores.run(set_dashboard_password, "leeds", "correct horse battery")
    principal = stores.run(check_dashboard_login, "leeds", "correct horse battery")
    assert principal is not None and principal.store_id == "leeds" and principal.kind == "dashboard"
    assert stores.run(check_dashboard_login, "leeds", "correct horse batter") is None
    assert stores.run(check_dashboard_login, "york", "correct horse battery") is None  # York has no password
    assert stores.run(check_dashboard_login, "", "correct horse battery") is None
    # A dashboard password is not an API key.
    assert stores.run(authenticate_api_key, f"{principal.key_prefix}.correct horse battery") is None

    stores.run(set_dashboard_password, "leeds", "a new long password")
    assert stores.run(check_dashboard_login, "leeds", "correct horse battery") is None
    assert stores.run(dashboard_credential_is_live, "leeds", principal.credential_id) is False
    renewed = stores.run(check_dashboard_login, "leeds", "a new long password")
    assert renewed is not None and stores.run(dashboard_credential_is_live, "leeds", renewed.credential_id) is True


def test_weak_passwords_are_refused(stores: Shop) -> None:
    with pytest.raises(WeakPassword):
        stores.run(set_dashboard_password, "leeds", "short")
    with pytest.raises(UnknownStore):
        stores.run(set_dashboard_password, "atlantis", "long enough password")


def test_cli_creates_revokes_and_sets_passwords(stores: Shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def factory() -> Shop:
        return Shop(stores.settings)

    out, err = io.StringIO(), io.StringIO()
    assert store_cli(["create-store-key", "leeds", "--label", "till"], shop_factory=factory, stdout=out, stderr=err) == 0
    key = out.getvalue().strip().splitlines()[-1]
    principal = stores.run(authenticate_api_key, key)
    assert principal is not None and principal.store_id == "leeds" and principal.label == "till"

    assert store_cli(["revoke-store-key", principal.key_prefix], shop_factory=factory, stdout=out, stderr=err) == 0
    assert stores.run(authenticate_api_key, key) is None
    assert store_cli(["revoke-store-key", principal.key_prefix], shop_factory=factory, stdout=out, stderr=err) == 1

    stdin = io.StringIO("from stdin password\n")
    assert store_cli(["set-dashboard-password", "york"], shop_factory=factory, stdin=stdin, stdout=out, stderr=err) == 0
    assert stores.run(check_dashboard_login, "york", "from stdin password") is not None
    secret_file = tmp_path / "pw.txt"
    secret_file.write_text("from a file password\n")
    assert store_cli(["set-dashboard-password", "york", "--password-file", str(secret_file)], shop_factory=factory, stdout=out, stderr=err) == 0
    assert stores.run(check_dashboard_login, "york", "from a file password") is not None

    err = io.StringIO()
    assert store_cli(["set-dashboard-password", "york"], shop_factory=factory, stdin=io.StringIO("tiny\n"), stdout=out, stderr=err) == 1
    assert "error:" in err.getvalue()
    assert store_cli(["create-store-key", "atlantis"], shop_factory=factory, stdout=out, stderr=err) == 1
    assert "from stdin" not in out.getvalue() + err.getvalue()  # passwords are never echoed
