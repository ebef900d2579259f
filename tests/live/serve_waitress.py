"""serve_waitress.py ROOT PORTFILE INTERVAL: liveapp on waitress, with a watcher."""
import os
import sys

root, port_file, interval = sys.argv[1], sys.argv[2], float(sys.argv[3])
sys.path.insert(0, root)

import waitress  # noqa: E402
from liveapp import wsgi  # noqa: E402

server = waitress.create_server(wsgi.application, host="127.0.0.1", port=0, threads=8)
watcher = wsgi.start_watching(interval)
with open(port_file + ".tmp", "w") as stream:
    stream.write(str(server.effective_port))
os.rename(port_file + ".tmp", port_file)
server.run()
