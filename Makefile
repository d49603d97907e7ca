# The two commands the README promises work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo demo-quick test bench mutation clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The full picture on embedded fakes (./annexa-demo); demo-quick: one run on fake AWS and this host.
demo: $(STAMP)
	$(BIN)/annexa demo

demo-quick: $(STAMP)
	$(BIN)/annexa demo --quick

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	# Both cores: whole files per worker, so module-scoped servers start once (see README, Tests).
	$(BIN)/pytest -n 2 --dist loadfile

# Mutation testing of the verdict code (rollup, evaluator, SoA builder): slow, not in CI.
mutation: $(STAMP)
	$(BIN)/pip install --quiet 'mutmut>=3.8,<4'
	$(BIN)/python tests/mutation.py

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) annexa-demo annexa-demo-quick build *.egg-info
