"""From basket to collected order: the order rules, basket, checkout, placing, holds and their expiry, pay links
and payment events, shopper notices and pickup alerts, order access and phone linking; with their reply texts."""
