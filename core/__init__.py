"""The layer every other one builds on: languages, message types, settings and the texts people see."""
