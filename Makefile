# The README's commands. `make run` and `make test` install, train and check what they need first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
COMPANY ?= poxnet
TRAINING_INPUTS := $(shell find data policies -type f -name '*.yml' -o -type f -name '*.py' 2>/dev/null) config.yml domain.yml
export ASSISTANT_DEFAULT_COMPANY ?=
# endpoints.yml reads it; empty: scripts/serve makes one per run, tests run without.
export ACTION_SERVER_TOKEN ?=

.PHONY: install train run shell actions test test-unit test-conversations test-e2e validate check nlu-eval conversations bench clean purge

install: $(VENV)/.installed widget/node_modules/.package-lock.json
# The web widget's rasa-webchat 1.0.1, from npm (widget/package-lock.json); without npm, REST still works.
widget/node_modules/.package-lock.json: widget/package-lock.json
	@if command -v npm >/dev/null; then cd widget && npm ci --no-audit --no-fund --loglevel=error; \
	  else echo "npm not found: the web widget page needs it (apt-get install npm, then make install); REST works without it"; fi
$(VENV)/.installed: pyproject.toml
	@py=$$(scripts/find-python310) && echo "using $$py" && \
	  ( [ -x $(PY) ] || $$py -m venv $(VENV) )
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

train: models/.trained
models/.trained: $(VENV)/.installed $(TRAINING_INPUTS)
	$(RASA) train --domain domain.yml --data data --config config.yml --out models --fixed-model-name assistant
	@touch $@

check: install   ## validate every company file and the message catalogue
	$(PY) -m actions.core.check

run: check train   ## the assistant over REST (:5005) and socket.io, with the action server (:5055)
	@if [ -f widget/node_modules/rasa-webchat/lib/index.js ]; then \
	  echo "web widget page: http://localhost:$${RASA_PORT:-5005}/widget/?company=$(COMPANY)&department=suporte (once Rasa is up)"; \
	else echo "web widget page: not installed (npm missing); REST only at http://localhost:$${RASA_PORT:-5005}/webhooks/rest/webhook. To get the page: apt-get install npm && make install"; fi
	scripts/serve run

shell: check train   ## agents' console; /company <id> and /now <ISO time> inside
	ASSISTANT_DEFAULT_COMPANY=$(COMPANY) scripts/serve shell

test: check train test-unit validate test-conversations test-e2e   ## everything CI runs

test-unit: install
	$(PY) -m pytest -q -m "not e2e" tests

validate: install
	$(RASA) data validate --domain domain.yml --data data --config config.yml --fail-on-warnings

test-conversations: train
	rm -rf results/conversations
	$(RASA) test core --model models/assistant.tar.gz --stories tests/conversations --e2e \
	  --fail-on-prediction-errors --out results/conversations
	$(PY) scripts/check_conversation_results.py

test-e2e: train
	$(PY) -m pytest -q -m e2e tests

nlu-eval: train   ## held-out NLU accuracy: the independent set and the team's held-out files (figures in README)
	$(PY) scripts/nlu_eval.py

# The independent conversation set is not part of this repository: the maintainers keep it, and a clone
# that has it puts it in shared/conversations beside the clone's folder (../shared from here).
conversations: check train   ## the independent conversation set, end to end at six frozen clocks
	@command -v faketime >/dev/null || { echo "installing faketime (Debian package)"; \
	  (apt-get update -qq && apt-get install -y -qq faketime) >/dev/null || { echo "faketime is needed: apt-get install faketime"; exit 1; }; }
	@test -f ../shared/conversations/run.py || { echo "the independent conversation set is not here (shared/conversations beside this clone; see README)"; exit 1; }
	@mkdir -p results
	$(PY) ../shared/conversations/run.py . --report results/conversations-report.json


bench: train   ## every figure of BENCHMARKS.md (15-40 min, by hand; not part of `make test`)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) bench/run.py

purge: install   ## delete conversations idle for more than DAYS days (make purge DAYS=90); same store as make run
	@test -n "$(DAYS)" || { echo "usage: make purge DAYS=N" >&2; exit 2; }
	TRACKER_DB=$${TRACKER_DB:-var/tracker.db} $(PY) -m stores.purge --days $(DAYS)

clean:
	rm -rf models results var .pytest_cache
