"""One JSON POST with aiohttp, mapping failures to ProviderError (transient or not)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.messaging.channels.types import ProviderError

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=15)


async def post_json(provider: str, url: str, body: dict[str, Any], *, params: dict[str, str] | None = None) -> dict[str, Any]:
    """POSTs `body` as JSON and returns the JSON answer.

    Raises:
        ProviderError: network trouble, 5xx and 429 are transient; other statuses are not. The
            message never contains the URL, which may carry a token.
    """
    try:
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as session:
            async with session.post(url, json=body, params=params) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = {}
                if response.status >= 400:
                    transient = response.status >= 500 or response.status == 429
                    raise ProviderError(f"{provider} HTTP {response.status}: {_describe(answer)}", transient=transient)
                return answer if isinstance(answer, dict) else {}
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        raise ProviderError(f"{provider} unreachable: {type(error).__name__}", transient=True) from error


def _describe(answer: Any) -> str:
    if isinstance(answer, dict):
        error = answer.get("error")
        if isinstance(error, dict):  # Graph API
            return f"{error.get('message', '')} (code {error.get('code')})"
        if "description" in answer:  # Telegram Bot API
            return str(answer["description"])
    return "no details"
