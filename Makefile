# make demo  - create .venv, install unboil, clean the seed page and a bundled sample
# make test  - install test extras (and redis-server when missing), run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test install test-deps bench quality clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[cli,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/unboil clean examples/seed.txt --stats
	@echo
	$(VENV)/bin/unboil clean examples/sample.jsonl -o - --stats | $(PY) -c "import sys,json; [print(json.loads(l)['id'], '->', len(json.loads(l).get('text') or ''), 'chars kept') for l in sys.stdin]"

test-deps: install
	@bash scripts/ensure-redis.sh

test: test-deps
	$(PY) -m pytest -q tests

bench: install
	$(PY) -m pytest benchmarks --benchmark-only -q

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .benchmarks
