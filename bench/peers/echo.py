"""Peer: a bare Sanic server answering the REST webhook with an echo, the HTTP floor."""
import sys

from sanic import Sanic
from sanic.response import json

app = Sanic("echo")


@app.post("/webhooks/rest/webhook")
async def webhook(request):
    body = request.json or {}
    return json([{"recipient_id": body.get("sender"), "text": body.get("message", "")}])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), access_log=False, workers=1)
