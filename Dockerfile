# onepco: one image for web, worker and scheduler (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH="/app/.venv/bin:$PATH"

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 1000 onepco

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
# Static files are collected at build time; settings need placeholder values to load
# (nothing connects to these URLs during collectstatic).
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    SECRET_KEY=build-only DEBUG=false \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/media && chown -R onepco /data

USER onepco
EXPOSE 8000
CMD ["gunicorn", "onepco.wsgi", "-c", "onepco/gunicorn.py"]
