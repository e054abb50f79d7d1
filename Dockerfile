# syntax=docker/dockerfile:1
# The chat as a container (README "Deploying"). The build stage installs the app and exactly the versions
# in the lock file (constraints.txt) into a venv; the runtime stage gets only that venv.
#
#   docker compose build                       # or: docker build -t chat .
#   docker compose run --rm app migrate        # migrations are a separate step (CHAT_AUTO_MIGRATE=0 in compose.yaml)
#   docker compose up -d

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt ./
# The runtime dependencies (pyproject's list, at the locked versions) in a layer of their own, so that a
# change to the app alone does not reinstall them; pip and setuptools come from the lock too.
RUN python -m venv /opt/venv \
    && python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && pip install --constraint constraints.txt --requirement requirements.txt --upgrade pip setuptools
COPY README.md ./
COPY app ./app
# The app itself, as an installed package (not editable), built with the locked setuptools.
RUN pip install --constraint constraints.txt --no-deps --no-build-isolation . \
    && python -m app --help > /dev/null

FROM ${PYTHON_IMAGE} AS runtime
# CHAT_STORAGE_SECRET (at least 32 characters) and DATABASE_URL come from the environment: see compose.yaml.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CHAT_ENV=prod \
    CHAT_DATA_DIR=/data \
    PORT=8080
RUN groupadd --system --gid 10001 chat \
    && useradd --system --uid 10001 --gid chat --home-dir /data --no-create-home --shell /usr/sbin/nologin chat \
    && mkdir /data \
    && chown chat:chat /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
# The generated NiceGUI storage (and a SQLite file, if DATABASE_URL is left at its default) live here.
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# python, not curl (the slim image has none): GET http://127.0.0.1:$PORT$CHAT_ROOT_PATH/healthz must answer 200.
HEALTHCHECK --interval=30s --timeout=6s --start-period=30s --retries=3 CMD ["python", "-m", "app.healthcheck"]
ENTRYPOINT ["python", "-m", "app"]
CMD ["--host", "0.0.0.0"]
