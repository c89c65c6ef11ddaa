# The helpdesk's commands. `make run` and `make test` set up everything they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY311 ?= $(shell command -v python3.11 || command -v python3)

.PHONY: help setup venvs model redis run test lint validate actions-test rasa-test pytest browser bench knowledge nlu-report lock-rasa clean

help:
	@echo "make run    - set up (venvs, model, Redis) and run the helpdesk: open http://localhost:8000/chat"
	@echo "make test   - set up and run every test (lint, Rasa data validation, action tests, rasa test, pytest)"
	@echo "make bench  - benchmarks (language detection, gateway overhead)"
	@echo "make knowledge  - the review page of every answer (results/knowledge.html) and the cards due for re-checking"
	@echo "make nlu-report - cross-validation per language and safety triage figures (docs/nlu-report.md)"

venvs:
	@$(PY311) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed for the gateway"'
	@ops/venv.sh .venv $(PY311) requirements/gateway.txt
	@ops/venv.sh .venv-rasa "$$(ops/find-python310.sh)" requirements/rasa.txt

model: venvs
	@ops/model.sh >/dev/null

redis: venvs
	@ops/redis.sh

setup: venvs model redis

run: setup
	@.venv/bin/python -m ops.stack run --model "$$(ops/model.sh)"

browser:
	@ops/browser.sh

lint: venvs
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	ops/compose-check.sh

validate: venvs
	PYTHONPATH=. RASA_TELEMETRY_ENABLED=false .venv-rasa/bin/rasa data validate --domain bot/domain --data nlu stories \
	  --config config.yml --fail-on-warnings

# The custom actions run with rasa-sdk's CollectingDispatcher (tests/actions), in a small Python 3.10 venv of
# their own: rasa-sdk 3.6 does not install on the gateway's Python 3.11.
actions-test:
	@ops/venv.sh .venv-actions "$$(ops/find-python310.sh)" requirements/actions-test.txt
	.venv-actions/bin/python -m pytest tests/actions -p no:cacheprovider --noconftest -q

rasa-test: model
	ops/rasa-test.sh "$$(ops/model.sh)"

pytest: setup browser
	HELPDESK_MODEL="$$(ops/model.sh)" .venv/bin/python -m pytest

test: setup browser lint validate actions-test rasa-test pytest

bench: setup
	.venv/bin/python bench/language.py
	.venv/bin/python bench/triage.py
	HELPDESK_MODEL="$$(ops/model.sh)" .venv/bin/python bench/gateway_overhead.py

# The review page, and the cards whose facts were last checked more than KNOWLEDGE_MAX_AGE days ago.
KNOWLEDGE_MAX_AGE ?= 180
knowledge: venvs
	.venv/bin/python -m knowledge page --out results/knowledge.html
	.venv/bin/python -m knowledge stale --days $(KNOWLEDGE_MAX_AGE)

nlu-report: venvs
	.venv/bin/python -m ops.nlu_report

lock-rasa:
	.venv-rasa/bin/pip freeze --exclude-editable | sed '1i # Rasa 3.6 venv, full resolved set (make lock-rasa)' > requirements/rasa.txt

clean:
	rm -rf .venv .venv-rasa .venv-actions .rasa results .pytest_cache .ruff_cache

.PHONY: register bench-channels bench-broadcast bench-turns

# Point the Telegram and Viber webhooks at PUBLIC_BASE_URL; prints what to set in the Twilio console.
register: venvs
	.venv/bin/python -m gateway register

# The messenger outbox's send rate (one minute) and the inbound webhooks' throughput (docs/channels.md).
bench-channels: venvs redis
	.venv/bin/python bench/outbox_rate.py
	.venv/bin/python bench/inbound_rate.py

bench-broadcast: venvs redis
	.venv/bin/python bench/broadcast.py

# What a turn costs: one at a time, by conversation length, under load (Rasa alone, then through the gateway).
bench-turns: setup
	HELPDESK_MODEL="$$(ops/model.sh)" .venv/bin/python bench/conversation_load.py
	.venv/bin/python bench/http_client_cost.py

.PHONY: inbox-user

# Create an inbox account: make inbox-user NAME=ana ROLE=admin [CENTRE=iasi] (the password is asked twice).
inbox-user: venvs
	.venv/bin/python -m inbox users add $(NAME) --role $(or $(ROLE),counsellor) $(if $(CENTRE),--centre $(CENTRE))
