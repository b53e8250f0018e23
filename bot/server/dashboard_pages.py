"""The store dashboard's HTML: every value escaped, no inline script or style (the CSP allows neither).

The board (tabs, orders, alert problems) is one element, `#board`, that the page's script swaps for a
fresh copy from GET /store/board when the live stream says something changed.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from bot.catalog.hours import local_now
from bot.kernel.money import format_money
from bot.ordering.pickup_alerts import AlertStatus
from bot.store_operations.store_board import TABS, Board, BoardOrder
from bot.catalog.stores import StoreDetails

BASE = "/store"


def page(title: str, body: str, *, script: bool = False, body_class: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><link rel='stylesheet' href='/site.css'><link rel='stylesheet' href='/static/console.css'>"
        "<link rel='stylesheet' href='/static/dashboard.css'><link rel='icon' href='/favicon.ico'>"
        + ("<script src='/static/dashboard.js' defer></script>" if script else "")
        + f"</head><body class='{escape(body_class, quote=True)}'>{body}</body></html>"
    )


def login_page(stores: list[Any], token: str, error: str = "", chosen: str = "") -> str:
    """The sign-in form; `chosen` stays selected after a failed attempt."""
    options = "".join(
        f"<option value='{escape(s.store_id, quote=True)}'{' selected' if s.store_id == chosen else ''}>{escape(s.name)}</option>"
        for s in stores
    )
    body = (
        "<main class='login__box card'><h1>Store sign in</h1>"
        + (f"<p class='login__error' role='alert'>{escape(error)}</p>" if error else "")
        + f"<form method='post' action='{BASE}/login'>"
        f"<input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
        f"<div class='field'><label for='store'>Store</label><select id='store' name='store'>{options}</select></div>"
        "<div class='field'><label for='password'>Password</label>"
        "<input id='password' name='password' type='password' autocomplete='current-password' required></div>"
        "<button class='btn' type='submit'>Sign in</button></form></main>"
    )
    return page("Store sign in", body, body_class="login")


def _local(details: StoreDetails, moment: datetime) -> str:
    return local_now(details.timezone, moment).strftime("%a %d %b %H:%M")


def _items(entry: BoardOrder) -> str:
    return "<br>".join(
        escape(f"{line.quantity} × {line.name}" + (f" ({', '.join(o for o in (line.colour, line.size) if o)})" if (line.colour or line.size) else ""))
        for line in entry.order.lines
    )


def _actions(entry: BoardOrder, token: str, board: Board) -> str:
    order = entry.order
    ref, ref_attr = escape(order.reference), escape(order.reference, quote=True)
    # The tab and search come back with the form, so staff stay where they were after the change.
    hidden = (
        f"<input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
        f"<input type='hidden' name='tab' value='{escape(board.tab, quote=True)}'>"
        + (f"<input type='hidden' name='q' value='{escape(board.query, quote=True)}'>" if board.query else "")
    )
    if order.status == "paid" or (order.status == "pending_payment" and order.payment_method == "at_pickup"):
        return (
            f"<form class='inline' method='post' action='{BASE}/orders/{ref_attr}/ready'>{hidden}"
            f"<button class='btn btn--small' type='submit' data-testid='ready-{ref_attr}'>Mark ready</button></form>"
        )
    if order.status == "ready":
        return (
            f"<form class='inline' method='post' action='{BASE}/orders/{ref_attr}/collect'>{hidden}"
            f"<label class='visually-hidden' for='code-{ref_attr}'>Pickup code for {ref}</label>"
            f"<input id='code-{ref_attr}' name='pickup_code' size='8' placeholder='Pickup code' autocomplete='off' required>"
            f"<button class='btn btn--small' type='submit' data-testid='collect-{ref_attr}'>Collected</button></form>"
        )
    return ""


def _order_row(entry: BoardOrder, details: StoreDetails, token: str, now: datetime, board: Board) -> str:
    order = entry.order
    ref, ref_attr = escape(order.reference), escape(order.reference, quote=True)
    who = " · ".join(escape(part) for part in (entry.customer_name, order.contact_phone or "") if part) or "<span class='muted'>not given</span>"
    state, label = entry.payment
    amount = escape(format_money(order.total_minor, order.currency, order.store_locale))  # Rp at a Jakarta till
    late = " late" if order.hold_expires_at <= now and order.status in ("paid", "ready", "pending_payment") else ""
    return (
        f"<tr data-order='{ref_attr}'>"
        f"<td data-label='Order'><div><span class='ref'>{ref}</span></div></td>"
        f"<td data-label='Status'><span class='status status-{escape(order.status, quote=True)}' data-testid='status-{ref_attr}'>"
        f"{escape(order.status.replace('_', ' '))}</span></td>"
        f"<td data-label='Customer' data-testid='customer-{ref_attr}'><div>{who}</div></td>"
        f"<td data-label='Items'><div>{_items(entry)}</div></td>"
        f"<td data-label='Payment' data-testid='payment-{ref_attr}'><div><span class='pay pay--{state}'>{escape(label)}</span> {amount}</div></td>"
        f"<td data-label='Collect by' class='deadline{late}'><div>{escape(_local(details, order.hold_expires_at))}</div></td>"
        f"<td class='row-actions'>{_actions(entry, token, board)}</td></tr>"
    )


def _tabs(board: Board) -> str:
    links = "".join(
        f"<a href='{BASE}?tab={key}' class='tab' data-tab='{key}'{' aria-current=page' if key == board.tab else ''}>"
        f"{escape(title)} <span class='tab__count'>{board.counts[key]}</span></a>"
        for key, (title, _statuses) in TABS.items()
    )
    return f"<nav class='tabs' aria-label='Orders by status'>{links}</nav>"


def _alerts_section(problems: list[AlertStatus], details: StoreDetails) -> str:
    if not problems:
        return ""

    def attempts(p: AlertStatus) -> str:
        # A refused alert (the shopper opted out) was never tried: no attempt count, no next try.
        return str(p.attempts) if p.attempts else "none"

    def next_try(p: AlertStatus) -> str:
        if p.state == "retrying":
            return f"next try {_local(details, p.due_at)}"
        if p.state == "pending":
            return f"due {_local(details, p.due_at)}"
        return "will not be retried" if p.state == "not_sent" else "sent"

    rows = "".join(
        f"<tr><td data-label='Order'><div><span class='ref'>{escape(p.order_reference)}</span></div></td>"
        f"<td data-label='Alert'><div>{escape(p.kind.replace('_', ' '))}</div></td><td data-label='State'><div>{escape(p.state.replace('_', ' '))}</div></td>"
        f"<td data-label='Attempts'><div>{attempts(p)}</div></td><td data-label='Next'><div>{escape(next_try(p))}</div></td>"
        f"<td data-label='Last error'><div>{escape(p.last_error or '')}</div></td></tr>"
        for p in problems
    )
    return (
        "<h2>Alerts that did not go out</h2><table id='alert-problems' class='table board-table'><thead><tr><th>Order</th><th>Alert</th>"
        f"<th>State</th><th>Attempts</th><th>Next</th><th>Last error</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def board_html(board: Board, problems: list[AlertStatus], details: StoreDetails, token: str, now: datetime, version: str) -> str:
    if board.query:
        top = f"<h2>Orders matching “{escape(board.query)}”</h2>"
    else:
        top = _tabs(board) + f"<h2 class='visually-hidden'>{escape(TABS[board.tab][0])}</h2>"
    rows = "".join(_order_row(entry, details, token, now, board) for entry in board.orders)
    table = (
        f"<table id='orders' class='table board-table'><thead><tr><th>Order</th><th>Status</th><th>Customer</th><th>Items</th>"
        f"<th>Payment</th><th>Collect by</th><th><span class='visually-hidden'>Actions</span></th></tr></thead><tbody>{rows}</tbody></table>"
        if rows else "<p class='empty muted'>No orders here.</p>"
    )
    return (
        f"<div id='board' data-version='{escape(version, quote=True)}'>{top}"
        f"{table}{_alerts_section(problems, details)}</div>"
    )


def dashboard_page(details: StoreDetails, board_markup: str, token: str, notice: tuple[str, str] | None, query: str) -> str:
    notice_html = ""
    if notice is not None:
        css, text = notice
        notice_html = f"<p class='notice notice--{css}' role='status' id='notice'>{escape(text)}</p>"
    body = (
        f"<header class='site-bar top'><h1>{escape(details.store.name)}</h1><span class='top__status' id='live' role='status'></span>"
        f"<form method='post' action='{BASE}/logout' class='top__logout'><input type='hidden' name='csrf' value='{escape(token, quote=True)}'>"
        "<button class='btn btn--secondary btn--small' type='submit'>Sign out</button></form></header>"
        f"<main class='dashboard'>{notice_html}"
        f"<form method='get' action='{BASE}' role='search' class='search'><label for='q'>Find by pickup code, reference or phone</label>"
        f"<span class='search__row'><input id='q' name='q' value='{escape(query, quote=True)}'>"
        "<button class='btn' type='submit'>Search</button></span></form>"
        f"{board_markup}</main>"
    )
    return page(f"{details.store.name} orders", body, script=True, body_class="store")
