# The README's commands. Each one installs what it needs first (tools/setup.sh).
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: setup run test bench docs screenshots export
setup:
	@bash tools/setup.sh

ASSETS ?= assets
run: setup            ## the main job: slow API + every example of the guide, assets served locally
	@test -f $(ASSETS)/htmx.min.js -a -f $(ASSETS)/sse.js -a -f $(ASSETS)/pico.min.css || $(BIN)/bg_fetch_assets --dest $(ASSETS)
	$(BIN)/bg_demo --assets $(ASSETS)

test: setup           ## every notebook, plus the export/clean checks
	$(BIN)/python tools/run_tests.py

bench: setup          ## benchmarks (skipped by the default test run: nbdev flag `bench`)
	$(BIN)/python tools/run_tests.py --flags bench --path 'nbs/*bench*.ipynb'

docs: setup          ## the docs site: nbdev_docs with Quarto; without it, a browsable preview in _docs/
	$(BIN)/python tools/docs.py --check

screenshots: setup   ## the browser tests, saving their screenshots to nbs/images/ for the README and docs
	BG_SCREENSHOTS=$(CURDIR)/nbs/images $(BIN)/python tools/run_tests.py --path nbs/45_browser.ipynb

export: setup
	$(BIN)/nbdev_export && $(BIN)/nbdev_clean
