"""Rasa tracker stores of the project, referenced from endpoints.yml."""
