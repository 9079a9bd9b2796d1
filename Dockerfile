# The worker image for docker-compose.yaml: the project and its Python dependencies, nothing else.
FROM python:3.11-slim
WORKDIR /srv/orders
COPY pyproject.toml README.md ./
COPY app ./app
COPY domain ./domain
COPY agents ./agents
COPY tables ./tables
COPY views ./views
COPY localkafka ./localkafka
RUN pip install --no-cache-dir . && useradd --create-home orders && mkdir /data && chown orders /data
USER orders
ENV APP_DATADIR=/data
EXPOSE 6066
CMD ["faust", "-A", "app", "worker", "-l", "info"]
