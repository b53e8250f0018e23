"""A Redis lock store for Rasa whose tickets cannot be lost or reordered across replicas.

Rasa keeps one ticket queue per conversation so that messages from one sender are handled one at a
time, in arrival order, whichever replica receives them. Rasa 3.6's `RedisLockStore` keeps that queue
as one JSON value and changes it with GET, edit in Python, SET (RasaHQ/rasa#9213). Two replicas that
do this at once overwrite each other: both get the same ticket number and run together (the SQL tracker
store then drops one message's events), or a released ticket resurrects / a new one vanishes and its
message fails with "Could not acquire lock".

Here every change to a queue is one Lua script, so Redis applies it atomically:

* tickets come from INCR on a per-conversation counter, queued in a sorted set by number;
* each ticket has a lease in a second sorted set (deadline, by Redis's own clock, so replicas' clocks
  do not matter). A live owner renews it in the background; a process killed with -9 stops renewing,
  and its ticket lapses after `lease_seconds` instead of blocking the conversation for a minute;
* finishing a ticket (or pruning a lapsed one) pushes a token onto the new head's wake list, and the
  waiter is blocked in BLPOP on that list, so it starts at once instead of polling every second.
  The BLPOP also times out at the head's lease deadline, so a dead head is noticed without a wake-up.

Register it in the endpoints file (see deploy/endpoints.production.yml):

    lock_store:
      type: bot.adapters.rasa_lock_store.AtomicRedisLockStore
      url: ${REDIS_URL}            # redis://[:password@]host:port/db, or a host name with port/db keys
      key_prefix: fellside         # optional, letters and digits
      lease_seconds: 10            # optional: how soon a dead replica's ticket lapses
      max_hold_seconds: 60         # optional: a stuck (not dead) holder is given up after this long

All keys of a conversation share the hash tag `{conversation id}`, so they live in one Redis Cluster slot.
This module runs inside the Rasa process and imports Rasa; nothing else in `bot/` imports it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from contextlib import asynccontextmanager, suppress
from typing import Any, AsyncIterator
from urllib.parse import quote

import redis
from redis import asyncio as redis_asyncio
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "rasa"
DEFAULT_LEASE_SECONDS = 10.0
# How long the ticket counter outlives the last activity: far longer than any ticket can live, so a
# number is never handed out twice while an old owner might still finish it.
COUNTER_TTL_SECONDS = 7 * 24 * 3600

# Shared Lua prelude. KEYS[1] = queue (ticket -> ticket), KEYS[2] = leases (ticket -> deadline ms).
# ARGV[1] = the wake-list key prefix. `prune` drops lapsed tickets and, if that changed the head,
# wakes the new head; `wake_head` pushes a token onto the head's wake list.
_PRELUDE = """
local queue, leases, wake_prefix = KEYS[1], KEYS[2], ARGV[1]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

local function head()
  local first = redis.call('ZRANGE', queue, 0, 0)
  return first[1]
end

local function wake_head(ttl_ms)
  local first = head()
  if first then
    local key = wake_prefix .. first
    redis.call('RPUSH', key, '1')
    redis.call('PEXPIRE', key, ttl_ms)
  end
  return first
end

local function prune(ttl_ms)
  local lapsed = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  if #lapsed == 0 then return end
  local before = head()
  for _, ticket in ipairs(lapsed) do
    redis.call('ZREM', queue, ticket)
    redis.call('ZREM', leases, ticket)
  end
  if head() ~= before then wake_head(ttl_ms) end
end
"""

# KEYS[3] = counter. ARGV[2] = lease ms, ARGV[3] = counter ttl ms. Returns the new ticket number.
_ISSUE = _PRELUDE + """
local lease_ms, counter_ttl = tonumber(ARGV[2]), tonumber(ARGV[3])
prune(lease_ms * 2)
local ticket = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], counter_ttl)
redis.call('ZADD', queue, ticket, ticket)
redis.call('ZADD', leases, now + lease_ms, ticket)
redis.call('PEXPIRE', queue, counter_ttl)
redis.call('PEXPIRE', leases, counter_ttl)
return ticket
"""

# ARGV[2] = ticket, ARGV[3] = lease ms. Returns {state, wait ms}: state 1 = this ticket is served,
# 0 = wait (wait ms = until the head's lease runs out), -1 = the ticket is gone (it lapsed).
_STATUS = _PRELUDE + """
local ticket, lease_ms = ARGV[2], tonumber(ARGV[3])
prune(lease_ms * 2)
if not redis.call('ZSCORE', queue, ticket) then return {-1, 0} end
local first = head()
if first == ticket then return {1, 0} end
local deadline = tonumber(redis.call('ZSCORE', leases, first)) or now
return {0, math.max(deadline - now, 0)}
"""

# ARGV[2] = ticket, ARGV[3] = lease ms. Pushes the ticket's deadline on; 0 when it is already gone.
_RENEW = _PRELUDE + """
local ticket, lease_ms = ARGV[2], tonumber(ARGV[3])
if not redis.call('ZSCORE', queue, ticket) then return 0 end
redis.call('ZADD', leases, now + lease_ms, ticket)
return 1
"""

# ARGV[2] = ticket, ARGV[3] = lease ms. Removes the ticket and wakes whoever is next.
_FINISH = _PRELUDE + """
local ticket, lease_ms = ARGV[2], tonumber(ARGV[3])
local was_head = head() == ticket
redis.call('ZREM', queue, ticket)
redis.call('ZREM', leases, ticket)
prune(lease_ms * 2)
if was_head then wake_head(lease_ms * 2) end
if redis.call('ZCARD', queue) == 0 then redis.call('DEL', queue, leases) end
return 1
"""

ACQUIRED, WAITING, GONE = 1, 0, -1


class AtomicRedisLockStore(LockStore):
    """Rasa ticket locks kept in Redis and changed only by atomic Lua scripts."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        url: str | None = None,
        key_prefix: str | None = None,
        lease_seconds: float | None = None,
        max_hold_seconds: float | None = None,
    ) -> None:
        """Reads the connection from `endpoint_config` (as Rasa passes it) or from the keyword arguments.

        Args:
            endpoint_config: the `lock_store` section of the endpoints file.
            url: a redis:// URL, or a host name (then `port`, `db`, `password` come from the config).
            key_prefix: letters and digits put before every key.
            lease_seconds: how long a ticket survives once its process stops renewing it.
            max_hold_seconds: the longest a live holder keeps renewing; defaults to Rasa's lock lifetime
                (TICKET_LOCK_LIFETIME, 60 s), the bound Rasa's own lock stores put on processing a message.
        """
        options: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        url = url or (endpoint_config.url if endpoint_config else None) or "redis://localhost:6379/1"
        self._url = redis_url(url, options)
        prefix = key_prefix or options.get("key_prefix") or DEFAULT_KEY_PREFIX
        if not str(prefix).isalnum():
            raise ValueError(f"key_prefix must be letters and digits only, got {prefix!r}")
        self.key_prefix = f"{prefix}:lock:"
        self.lease_seconds = float(lease_seconds or options.get("lease_seconds") or DEFAULT_LEASE_SECONDS)
        self.max_hold_seconds = float(max_hold_seconds or options.get("max_hold_seconds") or LOCK_LIFETIME)
        if self.lease_seconds <= 0 or self.max_hold_seconds <= 0:
            raise ValueError("lease_seconds and max_hold_seconds must be positive")
        self._client: redis_asyncio.Redis | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, Any] = {}
        self._sync_client: redis.Redis | None = None
        super().__init__()

    # --- keys -------------------------------------------------------------------------------------

    def _keys(self, conversation_id: str) -> list[str]:
        base = f"{self.key_prefix}{{{conversation_id}}}"
        return [f"{base}:queue", f"{base}:leases", f"{base}:counter"]

    def _wake_prefix(self, conversation_id: str) -> str:
        return f"{self.key_prefix}{{{conversation_id}}}:wake:"

    @property
    def _lease_ms(self) -> int:
        return max(int(self.lease_seconds * 1000), 1)

    # --- connections ------------------------------------------------------------------------------

    def _redis(self) -> redis_asyncio.Redis:
        """The async client of the running event loop (a client must not be shared across loops)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            # A blocked BLPOP holds its connection for up to a renewal period; the socket timeout
            # must outlast that or redis-py would call a healthy wait a dead connection.
            self._client = redis_asyncio.Redis.from_url(
                self._url, socket_timeout=self._renew_every + 10, socket_connect_timeout=5
            )
            self._client_loop = loop
            self._scripts = {
                name: self._client.register_script(source)
                for name, source in (("issue", _ISSUE), ("status", _STATUS), ("renew", _RENEW), ("finish", _FINISH))
            }
        return self._client

    def _script(self, name: str) -> Any:
        self._redis()
        return self._scripts[name]

    @property
    def _renew_every(self) -> float:
        return self.lease_seconds / 3

    def _sync_redis(self) -> redis.Redis:
        if self._sync_client is None:
            self._sync_client = redis.Redis.from_url(self._url, socket_timeout=10, socket_connect_timeout=5)
        return self._sync_client

    # --- the lock Rasa takes around every message ------------------------------------------------

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """Waits for this conversation's turn, holds it for the body, then hands it to the next ticket.

        Args:
            conversation_id: the sender whose messages must be handled one at a time.
            lock_lifetime: accepted for Rasa's signature; the lease and `max_hold_seconds` apply instead.
            wait_time_in_seconds: accepted for Rasa's signature; waiters are woken, not polled.

        Raises:
            LockError: Redis cannot be reached, or this ticket lapsed while waiting (its process
                stalled for longer than the lease).
        """
        ticket = await self._issue(conversation_id)
        acquired = asyncio.Event()
        keeper = asyncio.create_task(self._keep_alive(conversation_id, ticket, acquired))
        try:
            await self._wait_for_turn(conversation_id, ticket)
            acquired.set()
            yield TicketLock(conversation_id, deque([Ticket(ticket, time.time() + self.max_hold_seconds)]))
        finally:
            keeper.cancel()
            with suppress(asyncio.CancelledError):
                await keeper
            await self._finish(conversation_id, ticket)

    async def _issue(self, conversation_id: str) -> int:
        try:
            return int(
                await self._script("issue")(
                    keys=self._keys(conversation_id),
                    args=[self._wake_prefix(conversation_id), self._lease_ms, COUNTER_TTL_SECONDS * 1000],
                )
            )
        except redis.RedisError as error:
            raise LockError(f"Could not issue a lock ticket for conversation '{conversation_id}': {error}") from error

    async def _wait_for_turn(self, conversation_id: str, ticket: int) -> None:
        wake_key = f"{self._wake_prefix(conversation_id)}{ticket}"
        try:
            while True:
                state, wait_ms = await self._script("status")(
                    keys=self._keys(conversation_id)[:2], args=[self._wake_prefix(conversation_id), ticket, self._lease_ms]
                )
                if state == ACQUIRED:
                    logger.debug("acquired lock ticket %s for conversation '%s'", ticket, conversation_id)
                    return
                if state == GONE:
                    raise LockError(
                        f"Lock ticket {ticket} for conversation '{conversation_id}' lapsed while waiting."
                    )
                # Woken by the previous holder's finish; otherwise look again when its lease would lapse.
                timeout = min(max(int(wait_ms) / 1000, 0.05), self._renew_every)
                await self._redis().blpop([wake_key], timeout=timeout)
        except redis.RedisError as error:
            raise LockError(f"Lost the lock store while waiting for conversation '{conversation_id}': {error}") from error

    async def _keep_alive(self, conversation_id: str, ticket: int, acquired: asyncio.Event) -> None:
        """Renews the ticket's lease while this process lives: while it waits its turn, and for up to
        `max_hold_seconds` once it holds the lock. Counted from the issue, a turn queued behind slow ones
        (a loaded machine) lost its lock while still running and the next turn of the conversation ran
        beside it (the chaos run: a payment notice said twice)."""
        loop = asyncio.get_running_loop()
        give_up_at: float | None = None
        while give_up_at is None or loop.time() < give_up_at:
            await asyncio.sleep(self._renew_every)
            if give_up_at is None and acquired.is_set():
                give_up_at = loop.time() + self.max_hold_seconds - self._renew_every
            try:
                renewed = await self._script("renew")(
                    keys=self._keys(conversation_id)[:2], args=[self._wake_prefix(conversation_id), ticket, self._lease_ms]
                )
            except redis.RedisError:
                logger.warning("could not renew lock ticket %s of '%s'", ticket, conversation_id, exc_info=True)
                continue
            if not renewed:
                return
        logger.warning(
            "conversation '%s' held its lock for over %.0f s; letting ticket %s lapse", conversation_id, self.max_hold_seconds, ticket
        )

    async def _finish(self, conversation_id: str, ticket: int) -> None:
        try:
            await self._script("finish")(
                keys=self._keys(conversation_id)[:2], args=[self._wake_prefix(conversation_id), ticket, self._lease_ms]
            )
        except redis.RedisError:
            # Raising here would turn a handled message into an error; the lease frees the turn anyway.
            logger.warning(
                "could not release lock ticket %s of '%s'; it lapses in %.0f s",
                ticket, conversation_id, self.lease_seconds, exc_info=True,
            )

    # --- Rasa's synchronous interface, for inspection ---------------------------------------------

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """A snapshot of the conversation's queue (tickets and lease deadlines), or None when idle."""
        queue_key, leases_key, _ = self._keys(conversation_id)
        leases = self._sync_redis().zrange(leases_key, 0, -1, withscores=True)
        if not leases:
            return None
        tickets = sorted((int(number), deadline / 1000) for number, deadline in leases)
        return TicketLock(conversation_id, deque(Ticket(number, expires) for number, expires in tickets))

    def delete_lock(self, conversation_id: str) -> None:
        """Drops the conversation's queue (an operator's reset; waiters then fail with LockError)."""
        deleted = self._sync_redis().delete(*self._keys(conversation_id)[:2])
        self._log_deletion(conversation_id, bool(deleted))

    def save_lock(self, lock: TicketLock) -> None:
        raise NotImplementedError(
            "AtomicRedisLockStore never writes a whole lock back (that is the lost-update race it avoids); use lock()"
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        raise NotImplementedError("AtomicRedisLockStore issues tickets inside lock(), which also renews and releases them")


def redis_url(url: str, options: dict[str, Any]) -> str:
    """A redis:// URL as given, or one built from a host name plus Rasa-style port/db/password keys."""
    if "://" in url:
        return url
    scheme = "rediss" if options.get("use_ssl") else "redis"
    credentials = ""
    if options.get("password"):
        credentials = f"{quote(str(options.get('username') or ''), safe='')}:{quote(str(options['password']), safe='')}@"
    return f"{scheme}://{credentials}{url}:{int(options.get('port', 6379))}/{int(options.get('db', 1))}"
