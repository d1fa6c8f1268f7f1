# make demo  - create .venv, install unboil, clean the seed page and a bundled sample
# make test  - install test extras (and redis-server when missing), run the whole suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: demo test install test-deps bench quality clean ext

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip "setuptools>=77" "cython>=3.0"

$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[cli,test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	@echo "== the seed page: cleaned text, then how many blocks each rule removed"
	$(VENV)/bin/unboil clean examples/seed.txt --stats
	@echo
	@echo "== a real news page (HTML): its main content"
	$(VENV)/bin/unboil clean examples/pages/aljazeera-afghanistan.html.gz --stats
	@echo
	@echo "== three real pages and a sample of extracted texts as JSONL records"
	@mkdir -p out
	$(VENV)/bin/unboil clean examples/pages examples/sample.jsonl -o out/demo.clean.jsonl --stats
	$(VENV)/bin/unboil explain examples/pages/aljazeera-afghanistan.html.gz --html out/report.html > /dev/null
	@echo "cleaned records: out/demo.clean.jsonl; every decision, struck through: out/report.html"

test-deps: install
	@bash scripts/ensure-redis.sh

test: test-deps
	$(PY) -m pytest -q tests

bench: install
	$(PY) -m pytest benchmarks --benchmark-only -q

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .benchmarks

# rebuild the compiled speed-ups in place after editing a .pyx (make ext ONLY=segment._walk)
ext: install
	UNBOIL_BUILD_ONLY="$(ONLY)" UNBOIL_REQUIRE_EXTENSIONS=1 $(PY) setup.py build_ext --inplace -q
