"""The test's app served on a free port of 127.0.0.1 by Werkzeug (as `flask run` serves it),
for the browser and for tests that need real HTTP: cookies, redirects, access-log lines."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class ServerThread(threading.Thread):
    def __init__(self, app):
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def run(self):
        self.server.serve_forever()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
