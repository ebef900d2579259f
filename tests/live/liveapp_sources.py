"""The package the live servers serve, as sources for a given version.

Every response names the version of each module that produced it
(handlers@V|helpers@V|templates@V), so a mix of versions is visible.
liveapp.wsgi is the entry point the server holds: it is written once and
excluded from reloading; its `routes` binding is rebound instead."""

WSGI = '''\
import json
import os
import time

import compatreload
from liveapp import routes

STATS = {"reloads": 0, "rollbacks": 0, "timed": []}


class TimedWatcher(compatreload.Watcher):
    """Records when each poll started and ended, and whether it reloaded."""

    def check(self):
        started = time.time()
        reloaded = compatreload.Watcher.check(self)
        STATS["timed"].append((started, time.time(), bool(reloaded)))
        return reloaded


def on_reload(reloaded, error):
    STATS["rollbacks" if error is not None else "reloads"] += 1


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/__stats__":
        body = json.dumps(dict(STATS, pid=os.getpid()))
    else:
        body = routes.ROUTES[path](environ) + "|pid=%d" % os.getpid()
    data = body.encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))])
    return [data]


def start_watching(interval):
    watcher = TimedWatcher(
        ["liveapp"], interval=interval, callback=on_reload, exclude=["liveapp.wsgi"], settle_polls=1,
        backend=os.environ.get("LIVE_WATCH_BACKEND", "auto"),
    )
    STATS["backend"] = watcher.backend
    return watcher.start()
'''


def sources(version, broken=False):
    """relative path -> text of the package at *version*; *broken* gives
    the handlers a syntax error (the other modules still move on)."""
    return {
        "liveapp/__init__.py": "",
        "liveapp/helpers.py": 'def stamp():\n    return "helpers@%d"\n' % version,
        "liveapp/templates.py": 'def render(body):\n    return "%%s|templates@%d" %% body\n' % version,
        "liveapp/handlers.py": (
            "import time\n\nfrom liveapp import templates\nfrom liveapp.helpers import stamp\n\n"
            "LOADED_AT = time.time()  # when this version started to serve\n\n\n"
            'def index(environ):\n    return templates.render("handlers@%d|" + stamp()) + "|loaded=%%.6f" %% LOADED_AT\n'
            % version
            + ("def broken(:\n" if broken else "")
        ),
        "liveapp/routes.py": 'from liveapp import handlers\n\nROUTES = {"/": handlers.index}\n',
    }


def loaded_at(body):
    """When the worker that answered started to serve the handlers' version."""
    return float(body.partition("|loaded=")[2].partition("|")[0])


def versions_in(body):
    """The module versions a response body names: {"handlers": 3, ...}."""
    found = {}
    for part in body.split("|"):
        if "@" in part:
            module, _, version = part.partition("@")
            found[module] = int(version)
    return found
