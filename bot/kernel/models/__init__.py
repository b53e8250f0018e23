"""Database tables of the commerce core, one module per area; importing the package registers them all.

Every piece of state that matters lives here, not in a process's memory, so several replicas of each
server can run side by side. Money is stored as integer minor units (pence, cents) with its currency.
Import tables from here (`from bot.kernel.models import Order`): relationships name their tables by string,
which resolves only once every area is registered, and this package is where that happens.
"""

from bot.kernel.models.base import Base
from bot.kernel.models.catalogue import Market, MarketPrice, Store, StoreHours, StoreClosure, Place, Product, Variant, Inventory
from bot.kernel.models.shoppers import Customer, ChannelIdentity, PhoneOptOut, InboundDelivery, OneTimeCode, ChatMessage, OutboundMessage
from bot.kernel.models.orders import CartLine, Order, OrderLine, PaymentLink, PaymentEvent
from bot.kernel.models.operations import Agent, HandoffSession, StoreCredential, AuditEntry, LoginThrottle, Timer, TurnEffect, FunnelFact

__all__ = ["Base", "Market", "MarketPrice", "Store", "StoreHours", "StoreClosure", "Place", "Product",
    "Variant", "Inventory", "Customer", "ChannelIdentity", "PhoneOptOut", "InboundDelivery", "OneTimeCode",
    "ChatMessage", "OutboundMessage", "CartLine", "Order", "OrderLine", "PaymentLink", "PaymentEvent",
    "Agent", "HandoffSession", "StoreCredential", "AuditEntry", "LoginThrottle", "Timer", "TurnEffect", "FunnelFact"]
