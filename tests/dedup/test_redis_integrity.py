"""The Redis index decides by content like the file index, refuses namespaces it cannot read, and
says plainly when the server goes away."""

from __future__ import annotations

import logging

import pytest

from unboil.dedup import NearDupIndex

pytestmark = pytest.mark.redis


def test_a_reused_key_is_judged_by_content_on_redis(redis_server, real_texts):
    idx = NearDupIndex(storage=redis_server.url, namespace="int-reused")
    assert idx.add_many(["0", "1"], real_texts[500:502]) == [(None, 0.0), (None, 0.0)]
    other = NearDupIndex(storage=redis_server.url, namespace="int-reused")  # the next day, another process
    found = other.add_batch(["0", "1", "2"], [real_texts[502], real_texts[501], real_texts[502]])
    assert [(f.duplicate_of, f.kind, f.key_reused) for f in found] == [
        (None, "new", True), ("1", "exact", False), ("0", "exact", False)]
    assert len(other) == 4 and "2" in other and "3" not in other
    assert other.query(real_texts[502])[0] == ("0", 1.0)


def test_a_namespace_of_the_id_keyed_format_is_refused(redis_server, real_texts):
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.hset("int-old:meta", mapping={"format": '"unboil.neardup/1"', "num_perm": "128"})
    with pytest.raises(ValueError, match="another unboil version"):
        NearDupIndex(storage=redis_server.url, namespace="int-old").add("a", real_texts[0])


def test_a_server_that_goes_away_is_a_connection_error_without_a_lock_warning(fresh_redis, real_texts, caplog):
    idx = NearDupIndex(storage=fresh_redis.url, namespace="int-gone")
    idx.add("a", real_texts[503])
    fresh_redis.stop()
    with caplog.at_level(logging.WARNING), pytest.raises(ConnectionError, match=str(fresh_redis.port)):
        idx.add("b", real_texts[504])
    assert not [r for r in caplog.records if "lock" in r.getMessage()]
