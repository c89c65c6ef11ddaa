# The gateway (FastAPI) and worker, Python 3.11.
FROM python:3.11-slim
WORKDIR /app
RUN useradd --create-home --uid 1001 gateway
COPY requirements/gateway.txt requirements/gateway.txt
RUN pip install --no-cache-dir -r requirements/gateway.txt
COPY core core
COPY messaging messaging
COPY channels channels
COPY handoff handoff
COPY inbox inbox
COPY gateway gateway
COPY knowledge knowledge
COPY safety safety
COPY broadcasts broadcasts
# Container health checks (docker-compose.yml, deploy/kubernetes): python /app/healthcheck.py http|worker
COPY docker/healthcheck.py healthcheck.py
USER gateway
EXPOSE 8000
CMD ["python", "-m", "gateway", "serve"]
