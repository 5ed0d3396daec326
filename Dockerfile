# syntax=docker/dockerfile:1
# Build: a virtualenv with the service installed (no compilers in the final image).
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install .

# Run: non-root, migrations then the API (or `accident-online worker` as the command).
FROM python:3.11-slim
# The Chinese TrueType font embedded in decision documents (ACCIDENT_ONLINE_DOCUMENT_FONT_PATH).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --create-home --home-dir /app accident
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic ./alembic
COPY alembic.ini ./
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ACCIDENT_ONLINE_HOST=0.0.0.0 \
    ACCIDENT_ONLINE_PORT=8000 \
    ACCIDENT_ONLINE_VAR_DIR=/app/var \
    ACCIDENT_ONLINE_ALEMBIC_DIR=/app/alembic
RUN mkdir -p /app/var && chown accident:accident /app/var
USER accident
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ACCIDENT_ONLINE_PORT', '8000'), timeout=2)"]
CMD ["sh", "-c", "accident-online migrate && accident-online seed && exec accident-online serve"]
