"""Chatwoot agent-bot connector: a Rasa input channel named `chatwoot` (see README, "Chatwoot").

credentials.yml names it `channels.chatwoot.ChatwootInput`; the class is imported on first use, so the
pure modules (events, routing, replies) and their tests do not load Rasa.
"""


def __getattr__(name: str):
    if name == "ChatwootInput":
        from .channel import ChatwootInput

        return ChatwootInput
    raise AttributeError(name)
