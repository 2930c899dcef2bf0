# Slim image running `broker serve` with CPU-only torch and the bundled embedding model.
#   docker build -t knowledge-broker .
#   docker run -p 8000:8000 -e BROKER_DATABASE_URL=postgresql+psycopg://user:pass@db:5432/broker knowledge-broker
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    BROKER_HOST=0.0.0.0 BROKER_PORT=8000

WORKDIR /app
# CPU-only torch first, from PyTorch's CPU index, so no CUDA packages are pulled in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md alembic.ini ./
COPY broker ./broker
COPY migrations ./migrations
COPY data ./data
RUN pip install -e . && useradd --create-home broker && chown -R broker /app
USER broker

EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["sh", "-c", "broker db upgrade && broker serve"]
