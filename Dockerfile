FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 NEXORA_HOME=/data NEXORA_HOST=0.0.0.0
# git keeps project vaults (one commit per delivery); bubblewrap isolates shell and Python tools.
RUN apt-get update && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 nexora && mkdir /data && chown nexora /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
USER nexora
VOLUME ["/data"]
EXPOSE 8088
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8088/readyz')"
CMD ["sh", "-c", "nexora init && nexora serve"]
