# The two commands a newcomer needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PY := .venv/bin/python
export PYTHONPATH := $(CURDIR)
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test fuzz chaos venv model browser nginx lock eval messages bench screenshots clean

run: venv ## set up everything and start the assistant (Ctrl-C stops it)
	$(PY) -m scripts.run

test: venv browser nginx model ## run the whole test suite (what CI runs)
	$(PY) -m pytest

fuzz: venv ## the long fuzz run: 10,000 generated inputs per route (make test runs 1,000)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-10000} $(PY) -m pytest tests/fuzz -s -p no:cacheprovider --timeout=0

chaos: venv nginx model ## kill -9 under load for 10 minutes, through nginx (needs PostgreSQL, Redis, RabbitMQ: see docs/production.md)
	CHAOS_SECONDS=$${CHAOS_SECONDS:-600} CHAOS_SHOPPERS=$${CHAOS_SHOPPERS:-8} CHAOS_FIGURES=$${CHAOS_FIGURES:-chaos-figures.json} \
		$(PY) -m pytest tests/production/test_chaos.py -s -p no:cacheprovider --timeout=0

venv: .venv/.requirements-installed

.venv/.requirements-installed: requirements.txt .python-version
	@bash scripts/ensure_venv.sh
	@touch $@

model: venv ## train the Rasa model if config, domain or data changed
	$(PY) -m scripts.train_if_needed

browser: ## install Debian's Chromium for browser tests when it is missing
	@bash scripts/ensure_chromium.sh

nginx: ## install Debian's nginx for the production tests and the chaos run when it is missing
	@bash scripts/ensure_nginx.sh

lock: ## re-resolve requirements.in into requirements.txt (one pip run, with rasa's pins)
	@bash scripts/lock_requirements.sh

eval: venv model ## quality report: NLU on its held-out files (English, Indonesian, Finnish), language detection, the conversation scenarios (suite and held-out), off-topic messages
	@# Every report runs even when an earlier one misses its target; the exit status says whether all were met.
	@mkdir -p var; missed=0; \
	$(PY) -m scripts.eval_nlu --keep-model var/nlu-eval-model.tar.gz || missed=1; \
	for lang in id fi; do if [ -f tests/nlu/holdout_$$lang.yml ]; then \
	  $(PY) -m scripts.eval_nlu --holdout tests/nlu/holdout_$$lang.yml --model var/nlu-eval-model.tar.gz \
	    --skip-core --intent-target 0.90 --summary --exclude-overlap || missed=1; fi; done; \
	$(PY) -m scripts.eval_languages tests/languages/detection_dev.yml tests/languages/detection_dev_sms.yml; \
	$(PY) -m scripts.eval_languages tests/nlu/language_holdout.yml --min 0.97 || missed=1; \
	$(PY) -m scripts.eval_conversations || missed=1; \
	$(PY) -m scripts.eval_conversations tests/conversations/heldout/languages/*.yml || missed=1; \
	$(PY) -m scripts.eval_scope --min 0.9 || missed=1; \
	if [ $$missed = 1 ]; then echo "make eval: at least one target above was missed"; fi; exit $$missed

bench: venv model ## benchmark against bare Rasa (table, JSON, chart in bench/out/); BENCH_ARGS=--quick; RUNS=5 for the spread of 5 runs
	$(PY) -m bench --runs $${RUNS:-1} $(BENCH_ARGS)

screenshots: venv browser ## every page at desktop (1280x800) and phone (390x844) size, into docs/screenshots/
	$(PY) -m scripts.screenshots

clean:
	rm -rf var results .pytest_cache
