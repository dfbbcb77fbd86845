# syntax=docker/dockerfile:1
# One image for both processes: `broadcaster serve` (default) and `broadcaster worker`.
# Build: docker build --build-arg COMMIT=$(git rev-parse --short HEAD) -t outage-broadcaster .
# Run:   docker run outage-broadcaster            (server, port 8080)
#        docker run outage-broadcaster worker     (worker, /metrics on 9091)
# compose.yaml runs both with Redis, Prometheus and Grafana.

# --- build: install the package and its dependencies into a venv ---------------------------------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md LICENSE ./
COPY broadcaster ./broadcaster
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install .

# --- runtime: the venv and the default assets, no compiler, no pip cache, not root --------------
FROM python:3.11-slim-bookworm
ARG COMMIT=unknown
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="outage-broadcaster" \
      org.opencontainers.image.description="Proactive outage notifications on WhatsApp" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BROADCASTER_APP__COMMIT=${COMMIT} \
    BROADCASTER_HTTP__HOST=0.0.0.0 \
    BROADCASTER_WORKER__METRICS_HOST=0.0.0.0
RUN groupadd --system --gid 10001 broadcaster \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin broadcaster
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --chown=broadcaster:broadcaster config.toml ./
COPY --chown=broadcaster:broadcaster templates ./templates
COPY --chown=broadcaster:broadcaster segments ./segments
USER 10001:10001
# 8080: `serve` ([http] port); 9091: the worker's /metrics and /healthz ([worker] metrics_port)
EXPOSE 8080 9091
# arq and aiohttp both stop cleanly on SIGTERM (running jobs are re-queued, not lost)
STOPSIGNAL SIGTERM
# healthy when /healthz answers on the configured server port or worker metrics port, so the
# same check fits `serve` and `worker`
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-m", "broadcaster.healthcheck"]
ENTRYPOINT ["broadcaster"]
CMD ["serve"]
