# The image compose.yaml runs: the CLI, the workers, beat, Flower and the web process.
FROM python:3.11-slim
WORKDIR /app
# The locked dependency set first (its own layer), then the package alone: a reproducible image.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
COPY pyproject.toml README.md ./
COPY close ./close
COPY sql ./sql
COPY connectors ./connectors
COPY workers ./workers
COPY reports ./reports
COPY examples ./examples
RUN pip install --no-cache-dir --no-deps .
RUN useradd --create-home monthclose
USER monthclose
ENV CLOSE_HOME=/home/monthclose/.local/share/monthclose
CMD ["close", "--help"]
