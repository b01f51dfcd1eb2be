# The README's commands. Each one installs what it needs first (tools/setup.sh): .venv (the newest FastHTML
# stack), .venv-oldest (the oldest versions the requirements allow), .venv-nbdev (nbdev 2, the build tool).
VENV ?= .venv
BIN = $(VENV)/bin
NBDEV = .venv-nbdev/bin

.PHONY: setup run test bench docs screenshots export
setup:
	@bash tools/setup.sh

ASSETS ?= assets
run: setup            ## the main job: slow API + every example of the guide, assets served locally
	@test -f $(ASSETS)/htmx.min.js -a -f $(ASSETS)/sse.js -a -f $(ASSETS)/pico.min.css || $(BIN)/bg_fetch_assets --dest $(ASSETS)
	$(BIN)/bg_demo --assets $(ASSETS)

test: setup           ## every notebook on the newest and the oldest stack, plus the build checks
	$(BIN)/python tools/run_tests.py

bench: setup          ## benchmarks (skipped by the default test run: flag `bench`), on the newest stack
	$(BIN)/python tools/run_tests.py --stacks newest --flags bench --path 'nbs/*bench*.ipynb'

docs: setup          ## the docs site: nbdev_docs with Quarto; without it, a browsable preview in _docs/
	$(NBDEV)/python tools/docs.py --check

screenshots: setup   ## the browser tests, saving their screenshots to nbs/images/ for the README and docs
	BG_SCREENSHOTS=$(CURDIR)/nbs/images $(BIN)/python tools/run_tests.py --stacks newest --path nbs/55_browser.ipynb

export: setup        ## notebooks -> package, with nbdev 2 in its own venv
	$(NBDEV)/nbdev_export && $(NBDEV)/nbdev_clean
