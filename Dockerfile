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
# Healthy while the process runs and its database answers.
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s \
    CMD python -c "import sqlite3, os; sqlite3.connect(os.environ['DATABASE_PATH']).execute('select 1')" || exit 1
# SIGTERM (docker stop) closes the gateway and the database cleanly.
CMD ["python", "-m", "bot"]
