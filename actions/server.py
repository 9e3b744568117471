"""The action server, protected by default: `python -m actions.server` (what scripts/serve runs).

rasa_sdk 3.6's server listens on 0.0.0.0, takes no token, allows any CORS origin and echoes a failed
call's whole tracker in its 500 answer. This is the same server (rasa_sdk.endpoint.create_app) with:
- loopback only unless ACTION_HOST says otherwise (e.g. 0.0.0.0 in a container);
- with ACTION_SERVER_TOKEN set, every call but /health must carry `?token=<it>` (what Rasa sends from
  endpoints.yml's `token:`), else HTTP 401; staff commands are obeyed only then (actions/base.py);
- no CORS (only the Rasa server calls it, never a browser);
- a failure answered with the error's type, not the tracker.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
from typing import Optional

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response

from actions import base

logger = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/health"})


def build(token: Optional[str]) -> Sanic:
    app = create_app("actions", cors_origins=None)

    if token:
        expected = token.encode("utf-8")

        @app.middleware("request")
        async def require_token(request):
            if request.path in OPEN_PATHS:
                return None
            given = (request.args.get("token") or "").encode("utf-8")
            if not hmac.compare_digest(given, expected):
                return response.json({"error": "this server needs the deployment's token"}, status=401)
            return None

    @app.exception(Exception)
    async def failure(request, exception: Exception):
        logger.error("action call failed: %s", type(exception).__name__, exc_info=exception)
        return response.json({"error": type(exception).__name__}, status=500)

    base.AUTHENTICATED_CALLS = bool(token)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="the assistant's action server")
    parser.add_argument("--host", default=os.environ.get("ACTION_HOST") or "127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_PORT") or 5055))
    parser.add_argument("--loglevel", default=os.environ.get("LOG_LEVEL_ACTIONS") or "INFO")
    args = parser.parse_args()
    utils.configure_colored_logging(args.loglevel)
    utils.update_sanic_log_level()
    token = os.environ.get("ACTION_SERVER_TOKEN") or None
    app = build(token)
    logger.info("action server on %s:%d (%s)", args.host, args.port,
                "token required" if token else "no token: ACTION_SERVER_TOKEN is not set")
    app.run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
