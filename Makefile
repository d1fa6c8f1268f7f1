# make demo  - create .venv, install unboil with the command-line extra only, clean the seed page and samples
# make test  - also install the test extras (and redis-server when missing), run the whole suite
# Most of an install is compiling the Cython speed-ups; UNBOIL_NO_EXTENSIONS=1 make demo skips that
# (the demo then runs on the pure-Python twins; `unboil --version` says which are compiled).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# one stamp per install: the demo needs the core and [cli] (zstandard, tqdm); tests need [test] too
CLI_STAMP  := $(VENV)/.installed-cli
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test install test-deps bench quality clean ext

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip "setuptools>=77" "cython>=3.0"

$(CLI_STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[cli]'
	touch $@

# [cli,test] includes everything [cli] installs, so it stands for both stamps
$(TEST_STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[cli,test]'
	touch $@ $(CLI_STAMP)

install: $(CLI_STAMP)

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

test-deps: $(TEST_STAMP)
	@bash scripts/ensure-redis.sh

test: test-deps
	$(PY) -m pytest -q tests

bench: $(TEST_STAMP)
	$(PY) -m pytest benchmarks --benchmark-only -q

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis .benchmarks

# rebuild the compiled speed-ups in place after editing a .pyx (make ext ONLY=segment._walk)
ext: install
	UNBOIL_BUILD_ONLY="$(ONLY)" UNBOIL_REQUIRE_EXTENSIONS=1 $(PY) setup.py build_ext --inplace -q
