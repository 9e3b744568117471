"""The project's custom Rasa graph components, referenced from config.yml."""
