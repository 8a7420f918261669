# A small image for the bot: `docker compose up` (see README). The database lives on the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATABASE_PATH=/data/reviews.sqlite3
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 reviews \
    && mkdir -p /data && chown reviews /data
USER reviews
VOLUME ["/data"]
# Healthy only while the bot holds a live gateway connection: it refreshes a heartbeat file beside
# the database every 30 s, and `python -m bot health` fails once it is 90 s old or gone, or, with
# WEB_ENABLED on, when the public site's /health page does not answer.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s CMD ["python", "-m", "bot", "health"]
# SIGTERM (docker stop) closes the gateway and the database cleanly.
CMD ["python", "-m", "bot"]
