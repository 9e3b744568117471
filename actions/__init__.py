"""Rasa custom actions: thin translations between Rasa and the pure core in actions/core."""
