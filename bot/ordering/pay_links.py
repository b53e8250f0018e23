"""Pay-by-link: creating links for orders and applying provider webhooks to them.

Webhooks arrive at least once and in any order. Each event id is inserted first, in the same
transaction that acts on it, so a repeat finds the row and does nothing; every change is a forward
move of the order or link, so a stale event (expired after completed) cannot undo a newer one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot.kernel import audit, clock
from bot.ordering.rules import (
    HoldPolicy,
    InvalidTransition,
    OrderNotPayable,
    OrderStatus,
    PaymentDisposition,
    PaymentMethod,
    judge_payment,
)
from bot.kernel.models import Order, PaymentLink, Store
from bot.kernel.models import PaymentEvent as ProcessedEvent
from bot.payments import ProviderChooser
from bot.payments.base import EventKind, LinkRequest, PaymentEvent, PaymentProvider, PaymentProviderError, RefundResult
from bot.markets.lookup import market_of_store
from bot.ordering.orders import OrderSummary, RefundDue, find_order, record_payment, refund_for, summarise
from bot.ordering.notices import PAYMENT_FAILED, PAYMENT_RECEIVED, PAYMENT_REFUNDED, notice_subject, queue_notice
from bot.kernel.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
PAYMENTS_ACTOR = "system:payments"

# What the caller should tell the shopper after an event (None: nothing to say).
# PAYMENT_REFUNDED: money arrived for an order that could not take it.


@dataclass(frozen=True)
class PaymentLinkView:
    order_reference: str
    provider: str
    provider_ref: str
    url: str
    amount_minor: int
    currency: str
    expires_at: datetime
    status: str
    reused: bool


@dataclass(frozen=True)
class PaymentOutcome:
    """What one webhook event did, and whom to tell about it.

    Attributes:
        result: "processed", "duplicate" (event id seen before), or "unknown_link".
        message_kind: PAYMENT_RECEIVED, PAYMENT_FAILED, PAYMENT_REFUNDED or None.
        refund: money the caller must hand back through the provider (see `execute_refund`).
    """

    provider: str
    event_id: str
    event_type: str
    result: str
    order_reference: str | None = None
    order_status: str | None = None
    conversation_id: str | None = None
    channel: str | None = None
    message_kind: str | None = None
    refund: RefundDue | None = None

    @property
    def should_notify(self) -> bool:
        return self.message_kind is not None and self.conversation_id is not None

    @property
    def notice_subject(self) -> str | None:
        """The outbox subject of the notice this event queued (see `handle_payment_event`)."""
        if self.message_kind is None or self.order_reference is None:
            return None
        return notice_subject(self.order_reference, _notice_event(self.message_kind, self.event_id))


@dataclass(frozen=True)
class PayPage:
    """What the sandbox pay page shows for one link."""

    link: PaymentLinkView
    order: OrderSummary
    payable: bool
    reason: str  # "open", "paid", "refunded", "expired", "closed"
    locale: str = "en_GB"  # the collecting store's, for amounts
    methods: tuple[tuple[str, str], ...] = ()  # the market's (method id, name shown), in its order
    languages: tuple[str, ...] = ()  # the market's languages, its own first (the page's language falls back to them)

    @property
    def pay_by(self) -> datetime:
        """When paying stops being possible: the link's or the hold's end, whichever is first."""
        return min(self.link.expires_at, clock.as_utc(self.order.hold_expires_at))  # type: ignore[type-var]


def _link_view(link: PaymentLink, order_reference: str, reused: bool) -> PaymentLinkView:
    return PaymentLinkView(
        order_reference=order_reference,
        provider=link.provider,
        provider_ref=link.provider_ref,
        url=link.url,
        amount_minor=link.amount_minor,
        currency=link.currency,
        expires_at=clock.as_utc(link.expires_at),
        status=link.status,
        reused=reused,
    )


def _open_link(uow: UnitOfWork, order_id: int, provider: str, amount_minor: int, now: datetime) -> PaymentLink | None:
    return uow.session.scalars(
        select(PaymentLink)
        .where(
            PaymentLink.order_id == order_id,
            PaymentLink.provider == provider,
            PaymentLink.amount_minor == amount_minor,
            PaymentLink.status == "open",
            PaymentLink.expires_at > now,
        )
        .order_by(PaymentLink.id.desc())
    ).first()


def create_payment_link(
    uow: UnitOfWork, provider: PaymentProvider | ProviderChooser, order_reference: str, now: datetime | None = None
) -> PaymentLinkView:
    """Returns the order's open pay link, creating one at the provider if there is none.

    `provider` is a provider, or a chooser given the order's market's `link_provider`; either way the
    link offers the market's payment methods (Stripe payment_method_types, Midtrans enabled_payments).

    Idempotent: the same order and amount give the same link while it is open. No database
    transaction is held during the provider's HTTP call. Call it through `Shop.call` from async code.

    Raises:
        OrderNotFound; OrderNotPayable: pay-at-pickup order, not awaiting payment, or hold over;
        PaymentProviderError: the provider refused.
    """
    now = now or clock.now()
    order = find_order(uow, order_reference)
    if order.payment_method != PaymentMethod.LINK.value:
        raise OrderNotPayable(order.reference, "it is paid at pickup")
    if order.status != OrderStatus.PENDING_PAYMENT.value:
        raise OrderNotPayable(order.reference, f"it is {order.status}")
    if clock.as_utc(order.hold_expires_at) <= now:
        raise OrderNotPayable(order.reference, "its hold has run out")
    market = market_of_store(uow, order.store_id)
    if not isinstance(provider, PaymentProvider):
        provider = provider(market.link_provider if market else None)
    existing = _open_link(uow, order.id, provider.name, order.total_minor, now)
    if existing is not None:
        return _link_view(existing, order.reference, reused=True)
    attempt = uow.session.scalar(select(func.count()).select_from(PaymentLink).where(PaymentLink.order_id == order.id))
    order_id, reference = order.id, order.reference
    item_count = sum(line.quantity for line in order.lines)
    request = LinkRequest(
        amount_minor=order.total_minor,
        currency=order.currency,
        order_reference=reference,
        expires_at=clock.as_utc(order.hold_expires_at),
        idempotency_key=f"paylink-{reference}-{order.total_minor}-{attempt}",
        description=f"Order {reference} ({item_count} item{'s' if item_count != 1 else ''})",
        customer_ref=str(order.customer_id) if order.customer_id is not None else None,
        payment_methods=market.payment_methods if market else (),
    )
    uow.rollback()  # end the read transaction: never hold a database lock across an HTTP call
    created = provider.create_link(request)
    link = PaymentLink(
        order_id=order_id,
        provider=created.provider,
        provider_ref=created.provider_ref,
        url=created.url,
        amount_minor=request.amount_minor,
        currency=request.currency,
        status="open",
        idempotency_key=request.idempotency_key,
        expires_at=created.expires_at,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(link)
    try:
        uow.commit()
    except IntegrityError:
        # A concurrent call created the same link (same idempotency key) first: use theirs.
        uow.rollback()
        link = uow.session.scalars(
            select(PaymentLink).where(PaymentLink.idempotency_key == request.idempotency_key)
        ).one()
        return _link_view(link, reference, reused=True)
    return _link_view(link, reference, reused=False)


def _notice_event(message_kind: str, event_id: str) -> str | None:
    """A payment is received once per order; a failure or a refund is told once per provider event."""
    return None if message_kind == PAYMENT_RECEIVED else event_id


def handle_payment_event(
    uow: UnitOfWork, event: PaymentEvent, hold_policy: HoldPolicy = HoldPolicy(), now: datetime | None = None
) -> PaymentOutcome:
    """Applies one verified provider event, exactly once per event id.

    - succeeded: a pending order becomes paid (hold extended for collection); money for an order
      that expired, was cancelled or was already paid through another link is flagged for refund.
    - failed: the link is marked failed and the shopper is told to try again.
    - expired: an open link is marked expired (the order's own hold timer decides the order).
    Nothing ever moves backwards: an `expired` after `completed` changes nothing.
    """
    now = now or clock.now()
    base = {"provider": event.provider, "event_id": event.event_id, "event_type": event.event_type}
    uow.session.add(ProcessedEvent(provider=event.provider, event_id=event.event_id, event_type=event.event_type[:80], received_at=now))
    try:
        uow.session.flush()
    except IntegrityError:
        uow.rollback()
        return PaymentOutcome(result="duplicate", **base)

    link = uow.session.scalars(
        select(PaymentLink).where(PaymentLink.provider == event.provider, PaymentLink.provider_ref == event.provider_ref)
    ).first()
    if link is None:
        log.warning("payment event %s for unknown link %s (order %s)", event.event_id, event.provider_ref, event.order_reference)
        uow.commit()
        return PaymentOutcome(result="unknown_link", order_reference=event.order_reference, **base)
    order = uow.session.get(Order, link.order_id)
    assert order is not None  # foreign key
    message_kind, refund = None, None
    if event.kind is EventKind.SUCCEEDED:
        message_kind, refund = _apply_success(uow, event, link, order, hold_policy, now)
    elif event.kind is EventKind.FAILED and link.status == "open":
        link.status, link.updated_at = "failed", now
        if order.status == OrderStatus.PENDING_PAYMENT.value:
            message_kind = PAYMENT_FAILED
    elif event.kind is EventKind.EXPIRED and link.status == "open":
        link.status, link.updated_at = "expired", now
    if message_kind is not None:
        # The shopper's notice commits with the payment change; the outbox delivers it.
        queue_notice(uow, message_kind, order.reference, now, _notice_event(message_kind, event.event_id))
    uow.commit()
    return PaymentOutcome(
        result="processed",
        order_reference=order.reference,
        order_status=order.status,
        conversation_id=order.conversation_id,
        channel=order.channel,
        message_kind=message_kind,
        refund=refund,
        **base,
    )


def _apply_success(
    uow: UnitOfWork, event: PaymentEvent, link: PaymentLink, order: Order, hold_policy: HoldPolicy, now: datetime
) -> tuple[str | None, RefundDue | None]:
    this_link_paid = link.status in ("paid", "refunded")
    if this_link_paid:
        return None, None  # the same money reported again (a different event id for it)
    link.status, link.updated_at = "paid", now
    wrong_amount = (event.amount_minor is not None and event.amount_minor != link.amount_minor) or (
        event.currency is not None and event.currency != link.currency
    )
    disposition = PaymentDisposition.REFUND if wrong_amount else judge_payment(order.status, this_link_paid)
    if disposition is PaymentDisposition.APPLY:
        try:
            record_payment(uow, order, now, hold_policy)
        except InvalidTransition:
            disposition = PaymentDisposition.REFUND  # expired or cancelled a moment ago
    if disposition is PaymentDisposition.APPLY:
        audit.record(
            uow, actor=PAYMENTS_ACTOR, action="order_paid", now=now, order=order,
            provider=event.provider, provider_ref=link.provider_ref, card_last4=event.card_last4,
        )
        return PAYMENT_RECEIVED, None
    reason = "amount_mismatch" if wrong_amount else f"order_{order.status}"
    refund = replace(
        refund_for(link, order.reference, reason),
        amount_minor=event.amount_minor if event.amount_minor is not None else link.amount_minor,
        currency=event.currency or link.currency,
    )
    audit.record(
        uow, actor=PAYMENTS_ACTOR, action="refund_required", now=now, order=order,
        provider_ref=link.provider_ref, amount_minor=refund.amount_minor, reason=reason,
    )
    return PAYMENT_REFUNDED, refund


def execute_refund(uow: UnitOfWork, provider: PaymentProvider, refund: RefundDue, now: datetime | None = None) -> RefundResult:
    """Hands money back through the provider, then records it on the link.

    The provider call happens before any database transaction opens. A failure is recorded in the
    audit log ("refund_failed") for staff to follow up, and re-raised.

    Raises:
        PaymentProviderError.
    """
    try:
        result = provider.refund(refund.provider_ref, refund.amount_minor)
    except PaymentProviderError as error:
        _audit_refund(uow, refund, "refund_failed", now or clock.now(), error=str(error))
        raise
    now = now or clock.now()
    uow.session.execute(
        update(PaymentLink)
        .where(PaymentLink.provider == refund.provider, PaymentLink.provider_ref == refund.provider_ref)
        .values(status="refunded", updated_at=now)
    )
    _audit_refund(uow, refund, "refunded", now, refund_id=result.refund_id, status=result.status)
    return result


def _audit_refund(uow: UnitOfWork, refund: RefundDue, action: str, now: datetime, **detail: object) -> None:
    order = find_order(uow, refund.order_reference)
    audit.record(
        uow, actor=PAYMENTS_ACTOR, action=action, now=now, order=order,
        provider_ref=refund.provider_ref, amount_minor=refund.amount_minor, reason=refund.reason, **detail,
    )
    uow.commit()


def pay_page(uow: UnitOfWork, provider_name: str, provider_ref: str, now: datetime | None = None) -> PayPage | None:
    """The link and order behind a hosted pay page, or None for an unknown link."""
    link = uow.session.scalars(
        select(PaymentLink).where(PaymentLink.provider == provider_name, PaymentLink.provider_ref == provider_ref)
    ).first()
    return _pay_page_of(uow, link, now or clock.now()) if link is not None else None


def order_languages(uow: UnitOfWork, reference: str) -> tuple[str | None, tuple[str, ...]]:
    """(the order's language, its market's languages) for a page about it that has only its reference (the
    provider's return pages, /payments/complete?order=…); (None, ()) for an unknown reference."""
    order = uow.session.scalars(select(Order).where(Order.reference == reference)).first()
    if order is None:
        return None, ()
    market = market_of_store(uow, order.store_id)
    return order.language, market.languages if market else ()


def pay_link_in_conversation(uow: UnitOfWork, conversation_id: str, url: str, now: datetime | None = None) -> PayPage | None:
    """The pay link sent in this conversation under `url` (any provider), or None: the web chat draws it as a card."""
    link = uow.session.scalars(
        select(PaymentLink)
        .join(Order, Order.id == PaymentLink.order_id)
        .where(PaymentLink.url == url, Order.conversation_id == conversation_id)
    ).first()
    return _pay_page_of(uow, link, now or clock.now()) if link is not None else None


def _pay_page_of(uow: UnitOfWork, link: PaymentLink, now: datetime) -> PayPage:
    order = uow.session.get(Order, link.order_id)
    assert order is not None
    order_took_it = order.status in (OrderStatus.PAID.value, OrderStatus.READY.value, OrderStatus.COLLECTED.value)
    if link.status == "paid" and order_took_it:
        reason = "paid"
    elif link.status in ("paid", "refunded"):
        reason = "refunded"  # money arrived too late, or twice: it goes (or went) back
    elif link.status != "open" or clock.as_utc(link.expires_at) <= now or clock.as_utc(order.hold_expires_at) <= now:
        reason = "expired"
    elif order.status != OrderStatus.PENDING_PAYMENT.value:
        reason = "closed"
    else:
        reason = "open"
    market = market_of_store(uow, order.store_id)
    store = uow.session.get(Store, order.store_id)
    return PayPage(
        link=_link_view(link, order.reference, reused=True), order=summarise(uow, order), payable=reason == "open", reason=reason,
        locale=store.locale if store is not None else "en_GB",
        methods=tuple(zip(market.payment_methods, market.method_names())) if market else (),
        languages=market.languages if market else (),
    )
