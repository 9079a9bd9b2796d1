# Two commands: `make demo` runs the system, `make test` runs every test. Both install what is missing.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: sysdeps install jars asyncapi-cli test unit faults fuzz soak lint demo stop clean bench prometheus prometheus-stop monitor

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev tools

sysdeps:  ## JDK 17, Maven (Kafka's jars), kcat, curl; prometheus, chromium, tmux (the windows' tests)
	@bash scripts/sysdeps.sh

jars: install sysdeps  ## fetch Apache Kafka's jars from Maven Central once (.localkafka/lib)
	$(BIN)/python -c "import localkafka; print(localkafka.ensure_jars())"

ASYNCAPI := .asyncapi/node_modules/.bin/asyncapi
$(ASYNCAPI): .asyncapi/package.json .asyncapi/package-lock.json
	cd .asyncapi && npm ci --no-audit --no-fund --loglevel=error
	touch $@

asyncapi-cli: sysdeps $(ASYNCAPI)  ## the AsyncAPI CLI (npm, pinned in .asyncapi/) that validates docs/asyncapi.yaml

test: jars asyncapi-cli  ## unit, integration and e2e tests, on brokers the suite starts itself (~11 min)
	$(BIN)/python -m pytest -q -p no:cacheprovider --ignore=tests/faults tests

faults: jars  ## fault scenarios on slowed workers: kill -9 loop (3 runs), 20 kill -9 under load, broker restart, 1 of 3 brokers killed, SIGTERM, kill -9 at the record cache's boundaries, malformed corpus (~45 min)
	$(BIN)/python -m pytest -s -q -p no:cacheprovider tests/faults $(FAULTS_ARGS)

fuzz: jars  ## schemathesis against two workers for FUZZ_SECONDS (600; make test runs 90), FUZZ_SEED=N replays
	FUZZ_SECONDS=$${FUZZ_SECONDS:-600} $(BIN)/python -m pytest -s -q -p no:cacheprovider tests/e2e/test_contract.py

soak: jars  ## the kill -9 loop 20 runs in a row on slowed workers (~2 h); SOAK_ARGS="--runs N --seed S"
	$(BIN)/python -m tests.faults.kill_loop --cpus 0 $(SOAK_ARGS)

unit: install  ## the fast tests only (no broker)
	$(BIN)/python -m pytest -q tests/unit

lint: install asyncapi-cli  ## ruff (lint + format check), mypy (strict), the AsyncAPI document
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	CI=true $(ASYNCAPI) validate docs/asyncapi.yaml --fail-severity warn

$(VENV)/.bench-stamp: pyproject.toml $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,bench]"
	touch $@

bench: jars $(VENV)/.bench-stamp  ## raw aiokafka, Quix Streams, Faust and the pipeline in one run (~30 min on a slow 2-core machine); BENCH_ARGS="--help"
	$(BIN)/python -m bench $(BENCH_ARGS)

demo: jars  ## broker + topics + two workers (Procfile) + sample traffic; prints where to look
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh start

stop: prometheus-stop  ## stop what `make demo` (and `make prometheus`) started
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh stop

prometheus: sysdeps  ## a Prometheus server on :9090 scraping make demo's two workers
	bash scripts/prometheus.sh start

prometheus-stop:
	bash scripts/prometheus.sh stop

monitor: install  ## the terminal dashboard of make demo's two workers (q quits)
	$(BIN)/faust -A app monitor

clean: stop
	rm -rf .data
