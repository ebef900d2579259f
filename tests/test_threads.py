"""deep_reload() holds the import lock: threads calling into the modules
meanwhile never see a half-reloaded module, and reloads serialize."""
import importlib
import re
import sys
import threading
import time

from compatreload import deep_reload

SHAPE = re.compile(r"^c@\d>b@\d>a@\d$")


def test_threads_calling_in_during_50_reloads(workspace):
    workspace.add("pure")
    import pure.c  # noqa: F401

    errors, calls, stop = [], [0], threading.Event()

    def caller(by_import):
        try:
            while not stop.is_set():
                module = importlib.import_module("pure.c") if by_import else sys.modules["pure"].c
                value = module.value()
                assert SHAPE.match(value), value
                calls[0] += 1
                time.sleep(0.0005)  # let the reloading thread have the GIL too
        except Exception as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=caller, args=(index % 2 == 0,)) for index in range(4)]
    for thread in threads:
        thread.start()
    try:
        for round_ in range(50):
            workspace.set_version("pure", "pure/a.py", 1 + round_ % 9)
            assert deep_reload("pure.a") == ["pure.a", "pure.b", "pure.c"]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert calls[0] > 0
    assert sys.modules["pure.c"].value() == "c@1>b@1>a@%d" % (1 + 49 % 9)


def test_two_threads_reloading_serialize(workspace):
    workspace.add("pure")
    import pure.top  # noqa: F401

    errors = []

    def reloader(target):
        try:
            for _ in range(10):
                deep_reload(target)
        except Exception as error:  # reported to the main thread below
            errors.append(error)

    threads = [threading.Thread(target=reloader, args=(name,)) for name in ("pure.base", "pure.left")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    top = sys.modules["pure.top"]
    assert top.left is sys.modules["pure.left"] and top.right is sys.modules["pure.right"]
    assert sys.modules["pure.left"].base_alias is sys.modules["pure.base"]
