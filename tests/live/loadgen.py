"""loadgen.py PORT TOTAL CONCURRENCY STOPFILE OUTFILE: GET / on 127.0.0.1:PORT
from CONCURRENCY threads until TOTAL requests were sent, STOPFILE exists
or 600 s passed; writes a JSON summary to OUTFILE."""
import json
import os
import sys
import threading
import time

try:
    import http.client as httplib
except ImportError:  # Python 2
    import httplib

port, total, concurrency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
stop_file, out_file = sys.argv[4], sys.argv[5]
deadline = time.time() + 600
lock = threading.Lock()
summary = {"sent": 0, "failed": 0, "statuses": {}, "bodies": {}, "max_latency": 0.0, "errors": []}


def one_request():
    connection = httplib.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        connection.close()


def worker():
    while True:
        with lock:
            if summary["sent"] >= total or os.path.exists(stop_file) or time.time() > deadline:
                return
            summary["sent"] += 1
        started = time.time()
        try:
            status, body = one_request()
        except Exception as error:  # counted, and a sample kept for the report
            with lock:
                summary["failed"] += 1
                summary["errors"] = (summary["errors"] + [repr(error)])[:5]
            continue
        latency = time.time() - started
        with lock:
            summary["statuses"][str(status)] = summary["statuses"].get(str(status), 0) + 1
            summary["bodies"][body] = summary["bodies"].get(body, 0) + 1
            summary["max_latency"] = max(summary["max_latency"], latency)


threads = [threading.Thread(target=worker) for _ in range(concurrency)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with open(out_file, "w") as stream:
    json.dump(summary, stream)
