#!/usr/bin/env bash
# Runs the conversation tests (tests/conversations, all three languages) against a trained model with the
# action server up; end to end (the user texts go through NLU): any wrong intent, entity or action fails. Usage: ops/rasa-test.sh MODEL
set -euo pipefail
cd "$(dirname "$0")/.."
model=$1
port=${ACTIONS_TEST_PORT:-5155}
export ACTION_ENDPOINT_URL="http://127.0.0.1:$port/webhook" SANIC_HOST=127.0.0.1 RASA_TELEMETRY_ENABLED=false \
  TF_CPP_MIN_LOG_LEVEL=2 RASA_REDIS_HOST=127.0.0.1 RASA_REDIS_PORT=6379 RASA_REDIS_DB=13 RASA_REDIS_PASSWORD= \
  RASA_TRACKER_TTL_SECONDS=3600 PYTHONWARNINGS=ignore PYTHONPATH=.
.venv-rasa/bin/rasa run actions --actions actions --port "$port" >/tmp/helpdesk-rasa-test-actions.log 2>&1 &
actions=$!
trap 'kill $actions 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
rm -rf results/conversations
.venv-rasa/bin/rasa test core --e2e --model "$model" --stories tests/conversations --endpoints endpoints.yml \
  --out results/conversations --fail-on-prediction-errors --no-plot
echo "rasa test: all conversation stories passed"
