"""The assistant's core: plain Python with no Rasa imports, tested with plain values."""
