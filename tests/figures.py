"""Figures the tests measure (triage recall and false alarms...), printed at the end of the run by the
`pytest_terminal_summary` hook in tests/conftest.py. One module, imported by its package name everywhere,
so the hook and the tests share one list."""

from __future__ import annotations

REPORT: list[str] = []
