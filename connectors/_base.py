"""What every messaging connector shares: lazy shop and sender, background turns, reply rendering.

A connector subclasses `ChannelInput` (webhook parsing and authentication) and `ChannelOutput`
(how a reply is rendered for its channel); sending, transcript and option lookup live here once.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, ClassVar

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.messaging.channels.conversation import BackgroundTasks, ConversationOutlet
from bot.messaging.channels.registry import build_sender
from bot.messaging.channels.types import ChannelSender, OutboundText
from bot.kernel.inbound_text import TOO_LONG_REPLY, screen_inbound
from bot.identity.customers import parse_conversation_id
from bot.messaging.channel_rules import last_offered_options
from bot.kernel.shop import Shop, process_shop
from bot.languages.detection import warm_up_in_background
from bot.messaging.turn_effects import effect_key, finish_turn
from connectors._rendering import Option, options_from_buttons, select_option
from connectors._turns import CountsReplies, run_in_handling_order

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
ATTACHMENT_ONLY_REPLY = "Thanks! I can't open photos or files here - please tell me in words what you're looking for."


class ChannelOutput(CountsReplies):
    """Replies into one conversation; subclasses say how text and options look on their channel."""

    channel: ClassVar[str]

    def __init__(self, outlet: ConversationOutlet) -> None:
        self.outlet = outlet

    @classmethod
    def name(cls) -> str:
        return cls.channel

    def render(self, address: str, conversation_id: str, text: str, options: list[Option]) -> list[OutboundText]:
        """The provider messages of one bot reply (split, with the options in the channel's form)."""
        raise NotImplementedError

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._deliver(recipient_id, text, [])

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._deliver(recipient_id, text, options_from_buttons(buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._deliver(recipient_id, text, options_from_buttons(quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        message = OutboundText(self.channel, self.address_of(recipient_id), "", recipient_id, media_url=image)
        await self.outlet.deliver(recipient_id, [message], transcript_text=image)

    async def send_one(self, recipient_id: str, message_text: str, **fields: Any) -> None:
        """Sends a single unrendered message (custom payloads: templates, tags)."""
        message = OutboundText(self.channel, self.address_of(recipient_id), message_text, recipient_id, **fields)
        await self.outlet.deliver(recipient_id, [message], transcript_text=message_text)

    async def _deliver(self, recipient_id: str, text: str, options: list[Option]) -> None:
        messages = self.render(self.address_of(recipient_id), recipient_id, text, options)
        await self.outlet.deliver(recipient_id, messages, transcript_text=text, options=options)

    def address_of(self, recipient_id: str) -> str:
        """The channel address inside a conversation id; refuses conversations of other channels."""
        target = parse_conversation_id(recipient_id)
        if target.channel != self.channel:
            raise ValueError(f"{self.channel} cannot reach conversation {recipient_id!r}")
        return target.address


class ChannelInput(InputChannel):
    """Receives one channel's webhooks at /webhooks/<name>/webhook; credentials come from the environment."""

    channel: ClassVar[str]
    output_class: ClassVar[type[ChannelOutput]]
    credentials_class: ClassVar[type[Any]]

    def __init__(
        self,
        credentials: Any,
        shop: Shop | None = None,
        sender: ChannelSender | None = None,
        apologise_when_silent: bool = True,
    ) -> None:
        """
        Args:
            apologise_when_silent: answer a turn that produced no reply with an apology (see
                connectors/_turns.py); tests that stand in for Rasa with a recorder turn it off.
        """
        self.credentials = credentials
        self._shop = shop
        self._sender = sender
        self.apologise_when_silent = apologise_when_silent
        self.tasks = BackgroundTasks()
        self.app: Any = None

    @classmethod
    def name(cls) -> str:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "ChannelInput":
        # credentials.yml holds `{}`: secrets come only from the environment.
        return cls(cls.credentials_class.from_env())

    @property
    def shop(self) -> Shop:
        if self._shop is None:
            self._shop = process_shop()
        return self._shop

    @property
    def sender(self) -> ChannelSender:
        if self._sender is None:
            self._sender = build_sender(self.shop, self.channel)
        return self._sender

    def get_output_channel(self) -> OutputChannel:
        return self.output_class(ConversationOutlet(self.shop, self.sender))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint(f"{self.channel}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            self.app = request.app  # its agent holds the lock store the turns take (connectors/_turns.py)
            return await self.handle_webhook(request, on_new_message)

        @webhook.listener("after_server_start")
        async def warm_up(_app: object, _loop: object) -> None:
            # Numbered replies detect their language (connectors/_rendering.py) on Rasa's event loop: loading
            # lingua there at the first one would stall every conversation for seconds.
            warm_up_in_background()

        self.add_routes(webhook)
        return webhook

    def add_routes(self, webhook: Blueprint) -> None:
        """Hook for routes besides POST /webhook (Meta's GET handshake)."""

    async def handle_webhook(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        raise NotImplementedError

    async def resolve_option(self, conversation_id: str, reply: str) -> Option | None:
        """The option of the last bot message that a reply ("2" or its title) picks, if any."""
        options = await self.shop.call(last_offered_options, conversation_id)
        return select_option(reply, options)

    async def reply(self, conversation_id: str, address: str, text: str) -> None:
        """A fixed reply that needs no dialogue turn (help text, "can't open attachments")."""
        message = OutboundText(self.channel, address, text, conversation_id)
        await ConversationOutlet(self.shop, self.sender).deliver(conversation_id, [message], transcript_text=text)

    async def start_turn(
        self, on_new_message: OnNewMessage, text: str, conversation_id: str, message_id: str, metadata: dict[str, Any]
    ) -> None:
        """Hands the message to Rasa in the background, so the provider gets its answer at once.

        Every channel's messages pass here, so this is their door (bot/kernel/inbound_text.py): card
        numbers are masked before Rasa's tracker, logs or event broker see the text, and a message
        over the length cap gets a polite reply instead of a turn.
        """
        screened = screen_inbound(text)
        if screened.too_long:
            address = parse_conversation_id(conversation_id).address
            self.tasks.spawn(self.reply(conversation_id, address, TOO_LONG_REPLY), f"{self.channel} too-long reply for {message_id}")
            return
        output = self.get_output_channel()
        user_message = UserMessage(
            screened.text, output, conversation_id, input_channel=self.channel, message_id=message_id, metadata=metadata
        )
        # The line is durable already (accept_inbound recorded it before the webhook is answered): if this
        # process dies mid-turn, a sweeper finds it unanswered and hands it to Rasa again under the same
        # id (bot/messaging/web_lines.py), and the turn's side effects still happen once.
        turn = run_in_handling_order(self.shop, self.app, on_new_message, user_message, message_id, output, self.apologise_when_silent)
        self.tasks.spawn(turn, f"{self.channel} turn for {message_id}")

    async def no_turn(self, conversation_id: str, message_id: str) -> None:
        """Marks a line that needs no dialogue turn and got no reply (STOP, an empty message) as handled,
        so the sweeper does not take it for a turn lost in a crash."""
        await self.shop.call(finish_turn, self.channel, [], effect_key(conversation_id, message_id, "turn"))
