"""NearDupIndex on a real redis-server: shared between processes, surviving a restart."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from unboil.dedup import NearDupIndex

pytestmark = pytest.mark.redis


def test_second_process_sees_the_first(redis_server, real_texts, tmp_path):
    ns = "test-procs"
    payload = tmp_path / "texts.json"
    payload.write_text(json.dumps(real_texts[:20]), encoding="utf-8")
    code = (
        "import json, sys\n"
        "from unboil.dedup import NearDupIndex\n"
        f"idx = NearDupIndex(storage={redis_server.url!r}, namespace={ns!r})\n"
        f"texts = json.load(open({str(payload)!r}, encoding='utf-8'))\n"
        "print(json.dumps([idx.add(f'p1-{i}', t) for i, t in enumerate(texts)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout) == [None] * 20
    idx = NearDupIndex(storage=redis_server.url, namespace=ns)
    assert len(idx) == 20
    assert idx.add("p2-a", real_texts[4] + "\nRelated: more stories") == "p1-4"
    assert idx.add("p2-b", real_texts[30]) is None


def test_index_survives_a_restart(redis_server, real_texts):
    ns = "test-restart"
    idx = NearDupIndex(storage=redis_server.url, namespace=ns)
    idx.add_many([f"k{i}" for i in range(10)], real_texts[40:50])
    redis_server.restart()
    again = NearDupIndex(storage=redis_server.url, namespace=ns)
    assert len(again) == 10
    assert again.add("later", real_texts[45]) == "k5"


def test_parameters_are_checked(redis_server, real_texts):
    NearDupIndex(storage=redis_server.url, namespace="test-params").add("a", real_texts[0])
    with pytest.raises(ValueError, match="num_perm"):
        NearDupIndex(num_perm=64, storage=redis_server.url, namespace="test-params").add("b", real_texts[1])


def test_unreachable_server_is_named():
    idx = NearDupIndex(storage="redis://127.0.0.1:1/0")
    with pytest.raises(ConnectionError, match="127.0.0.1:1"):
        idx.add("a", "some text here to index")


def _writer(url, ns, prefix, texts, barrier, results):
    """Add ``texts`` one at a time, each step started at the same moment as the other writer's."""
    idx = NearDupIndex(storage=url, namespace=ns)
    out = []
    for i, text in enumerate(texts):
        barrier.wait(timeout=30)
        out.append(idx.add(f"{prefix}{i}", text))
    results.put((prefix, out))


def test_two_writers_adding_the_same_page_at_once_keep_it_once(redis_server, real_texts):
    """Lookup and insert are one step under the namespace lock: of two simultaneous adds of the
    same new page, exactly one is new and the other names it as its duplicate."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    texts = real_texts[100:140]
    barrier, results = ctx.Barrier(2), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(redis_server.url, "test-race", p, texts, barrier, results))
               for p in ("a", "b")]
    for w in writers:
        w.start()
    got = dict(results.get(timeout=120) for _ in writers)
    for w in writers:
        w.join(timeout=30)
    assert all(w.exitcode == 0 for w in writers)
    for i, (a, b) in enumerate(zip(got["a"], got["b"])):
        assert (a, b) in ((None, f"a{i}"), (f"b{i}", None)), (i, a, b)
    assert len(NearDupIndex(storage=redis_server.url, namespace="test-race")) == 2 * len(texts)
