"""Who sent a request, and what every worker must count alike.

Rate limits (the API's throttles, the submission form's limits, the admin login's lockout)
key on the client's address; behind the README's nginx that is the last address nginx
appended to X-Forwarded-For, not REMOTE_ADDR (nginx itself). NUM_PROXIES says how many
proxies append to it; with 0 the header is ignored, since anyone can send one.

Every limit counts with `window_count`: a window opens at a key's first hit and closes a
fixed time later, however many hits follow, whichever store holds it.
"""

import fcntl
import os
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache
from django.utils.connection import ConnectionProxy

# Counters, used tokens and the data version: one store for all workers (settings.CACHES).
shared_cache = ConnectionProxy(caches, "shared")


def client_address(request) -> str:
    """The client's address as the nearest trusted proxy saw it (DRF's NUM_PROXIES rule)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


class Window(NamedTuple):
    count: int  # the hits counted in the window, this one included
    ends: float  # when it closes (time.time())


def window_count(key: str, *, seconds: int) -> Window:
    """Count one hit against `key` in its window, which opens at the first hit and closes
    `seconds` later, however many hits follow.

    Not `cache.add` then `cache.incr`: Django's `incr` is a get and a set, and the set takes
    the cache's default timeout (300 s), so in the files every hourly counter vanished five
    minutes after its last hit; and two workers could both read 4 and write 5. In Redis one
    transaction creates the key with its expiry and increments it (INCR keeps the expiry);
    elsewhere the count and its end are read and written under a lock every worker of the
    machine takes (a file lock beside the cache's files). django-ratelimit counts with the
    same `add` and `incr`, so it has the same flaw in the files, and it does not serve DRF's
    throttles: this is the one counter.
    """
    cache = caches["shared"]
    if isinstance(cache, RedisCache):
        return _redis_count(cache, key, seconds)
    with _counter_lock(cache, key):
        now = time.time()
        held = cache.get(key)
        count, ends = held if _open(held, now) else (0, now + seconds)
        cache.set(key, (count + 1, ends), timeout=ends - now)
        return Window(count + 1, ends)


def window_counted(key: str) -> int:
    """The hits counted against `key` in its open window; counts nothing."""
    cache = caches["shared"]
    held = cache.get(key)
    if isinstance(cache, RedisCache):
        return held or 0
    return held[0] if _open(held, time.time()) else 0


def _open(held, now: float) -> bool:
    return isinstance(held, tuple) and len(held) == 2 and held[1] > now


def _redis_count(cache: RedisCache, key: str, seconds: int) -> Window:
    client = cache._cache.get_client(key, write=True)
    with client.pipeline(transaction=True) as pipe:  # MULTI … EXEC: nothing in between
        name = cache.make_and_validate_key(key)
        pipe.set(name, 0, ex=seconds, nx=True)
        pipe.incr(name)
        pipe.pttl(name)
        _, count, left = pipe.execute()
    if left < 0:  # a key without expiry (the old add-then-incr could leave one): give it one
        client.expire(name, seconds)
        left = seconds * 1000
    return Window(count, time.time() + left / 1000)


_PROCESS_LOCK = threading.Lock()
LOCK_FILES = 16  # keys share a few lock files: few files, little waiting


@contextmanager
def _counter_lock(cache, key: str) -> Iterator[None]:
    """Held by one thread of one process at a time: flock() locks an open file, so each
    call opens its own (threads exclude each other too); closing it unlocks."""
    if not isinstance(cache, FileBasedCache):  # locmem, say: a cache of this process only
        with _PROCESS_LOCK:
            yield
        return
    os.makedirs(cache._dir, exist_ok=True)
    # Not ending in .djcache: the cache's clear() and culling leave it alone.
    name = f"counters-{zlib.crc32(key.encode()) % LOCK_FILES}.lock"
    with open(os.path.join(cache._dir, name), "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
