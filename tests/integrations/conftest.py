"""Integration fixtures: the admin tests' company, and a webhook receiver over real HTTP."""

from __future__ import annotations

import threading

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from devkit.servers import free_port
from tests.admin.conftest import co  # noqa: F401 - fixtures shared with tests/admin


class Receiver:
    """An ERP's webhook endpoint: records every request; refuses the first `fail_first`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.fail_first = 0
        app = Flask("receiver")

        @app.post("/hook")
        def hook():
            self.requests.append(
                {
                    "headers": dict(request.headers),
                    "body": request.get_data(),
                    "json": request.get_json(),
                }
            )
            if self.fail_first > 0:
                self.fail_first -= 1
                return "busy", 503
            return {"ok": True}

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._server = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()
