"""Channel senders: one small interface (`ChannelSender.send`) over Twilio, Meta, Telegram and the outbox.

Used by the Rasa output channels in `connectors/` and by the bot server (agent replies, pickup
alerts). Every sender records through `bot.messaging.channel_rules`, which enforces opt-out and the
24-hour windows, so no caller can skip them. Import senders from their modules (`twilio`, `meta`,
`telegram`, `outbox` in this package).
"""

from bot.messaging.channels.types import ChannelSender, ContentTemplate, OutboundText, ProviderError, SendResult

__all__ = ["ChannelSender", "ContentTemplate", "OutboundText", "ProviderError", "SendResult"]
