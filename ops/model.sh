#!/usr/bin/env bash
# Prints the path of the trained Rasa model for the current training data, domain and config,
# training it first if no model with that content hash is cached. Reruns with unchanged data are instant.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${HELPDESK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/migrant-helpdesk}
# config.yml names our intent classifier (rasa_server/intent_classifier.py): its code is part of the model.
hash=$( (find config.yml bot nlu stories requirements/rasa.txt -type f \( -name '*.yml' -o -name '*.txt' \) -print0; \
  printf '%s\0' rasa_server/intent_classifier.py) | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
model="$cache/models/model-$hash.tar.gz"
mkdir -p "$cache/models"
exec 9>"$cache/models/.lock"
flock 9  # one training at a time; a second caller waits and then finds the model cached
if [ ! -f "$model" ]; then
  echo ">> training the Rasa model (data changed or first run; cached as $model)" >&2
  tmp=$(mktemp -d "$cache/models/train.XXXXXX")
  start=$(date +%s)
  PYTHONPATH=. RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONWARNINGS=ignore .venv-rasa/bin/rasa train \
    --domain bot/domain --data nlu stories --config config.yml \
    --out "$tmp" --fixed-model-name model --quiet >&2
  mv "$tmp/model.tar.gz" "$model"
  rm -rf "$tmp"
  echo ">> trained in $(( $(date +%s) - start )) s" >&2
fi
echo "$model"
