import threading

import pytest

from anon_core.prefetch import WriteBehind, read_ahead


def test_read_ahead_keeps_order_and_propagates_errors():
    assert list(read_ahead(range(50))) == list(range(50))

    def broken():
        yield 1
        raise ValueError("corrupt frame")

    with pytest.raises(ValueError, match="corrupt frame"):
        list(read_ahead(broken()))


def test_read_ahead_stops_its_thread_when_the_consumer_stops():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    gen = read_ahead(endless(), depth=2)
    assert next(gen) == 0
    gen.close()
    assert not any(t.name == "anon-read-ahead" for t in threading.enumerate())
    assert len(produced) < 10


def test_write_behind_keeps_order_and_reraises():
    out = []
    w = WriteBehind(lambda x: out.append(x))
    for i in range(20):
        w.put(i)
    w.close()
    assert out == list(range(20))

    def sink(x):
        if x == 3:
            raise OSError("disk full")

    w = WriteBehind(sink)
    with pytest.raises(OSError, match="disk full"):
        for i in range(10):
            w.put(i)
        w.close()
