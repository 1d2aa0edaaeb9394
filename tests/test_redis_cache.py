"""The Redis cache backend (REDIS_URL): Django's, reusing one client per connection pool.

Talks to a Redis server on 127.0.0.1:6379 (database 14, emptied by each test). CI runs one;
elsewhere these tests are skipped when there is none.
"""

import os
import threading

import pytest
import redis

from diary.redis_cache import RedisCache

URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def redis_cache():
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis server on 127.0.0.1:6379")
    cache = RedisCache(URL, {"KEY_PREFIX": "test"})
    cache.clear()
    yield cache
    cache.clear()


def test_every_call_shares_one_client(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client("a key", write=True) is client


def test_it_stores_and_expires_like_djangos_backend(redis_cache):
    redis_cache.set("answer", {"body": b"x" * 100_000}, 60)
    assert redis_cache.get("answer") == {"body": b"x" * 100_000}
    assert redis_cache.add("answer", "other", 60) is False
    redis_cache.set_many({"a": 1, "b": 2}, 60)
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    redis_cache.set("gone", 1, 0)  # a timeout of 0 deletes
    assert redis_cache.get("gone") is None


def test_threads_share_the_client_safely(redis_cache):
    read: list[tuple[str, object]] = []

    def work(number):
        for step in range(50):
            redis_cache.set(f"{number}:{step}", step, 60)
            read.append((f"{number}:{step}", redis_cache.get(f"{number}:{step}")))

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(read) == 400
    assert all(int(key.split(":")[1]) == value for key, value in read)
