# Rasa 3.6 server and its action server (one image, two commands), Python 3.10.
FROM python:3.10-slim
WORKDIR /app
RUN useradd --create-home --uid 1001 rasa
COPY requirements/rasa.txt requirements/rasa.txt
RUN pip install --no-cache-dir -r requirements/rasa.txt
COPY config.yml endpoints.yml credentials.yml ./
COPY bot bot
COPY nlu nlu
COPY stories stories
COPY core core
COPY actions actions
COPY knowledge knowledge
COPY rasa_server rasa_server
# Container health checks (docker-compose.yml, deploy/kubernetes): python /app/healthcheck.py rasa|http
COPY docker/healthcheck.py healthcheck.py
# PYTHONPATH before training: config.yml names the intent classifier in rasa_server/intent_classifier.py
ENV RASA_TELEMETRY_ENABLED=false PYTHONPATH=/app
RUN rasa train --domain bot/domain --data nlu stories --config config.yml --out models --fixed-model-name model \
    && chown -R rasa /app
USER rasa
EXPOSE 5005 5055
CMD ["rasa", "run", "--enable-api", "--model", "models/model.tar.gz", "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
