"""Rasa custom actions: thin translations between Rasa and the pure core in actions/core."""
from stores.privacy import install_log_masking

install_log_masking()  # personal data in customer messages never reaches the action server's log
