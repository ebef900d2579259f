"""gunicorn configuration for the live test: 3 sync workers, each with its
own watcher (started after the worker loaded the app)."""
import os

workers = 3
worker_class = "sync"
bind = "127.0.0.1:%s" % os.environ["LIVE_PORT"]
pythonpath = os.environ["LIVE_ROOT"]
loglevel = "warning"


def post_worker_init(worker):
    from liveapp import wsgi

    wsgi.start_watching(float(os.environ["LIVE_INTERVAL"]))
