# LawTrail: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-postgres bench system-deps clean

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

# Debian packages: venv support, Chromium for the browser tests, CJK fonts for pages
# and PDFs, Pango for WeasyPrint's PDF rendering, poppler-utils (pdftotext, pdffonts)
# for the tests that read PDFs back, zbar-tools (zbarimg) for the tests that scan a PDF's
# QR code, LibreOffice Calc (headless) for the tests that open
# the Excel reports, SoftHSM2 for the tests that seal with a key in a PKCS#11 token.
# Installed only when missing and only when root.
system-deps:
	@missing=""; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	command -v libreoffice >/dev/null || missing="$$missing libreoffice-calc-nogui"; \
	test -e /usr/lib/softhsm/libsofthsm2.so || missing="$$missing softhsm2"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Please install these Debian packages (as root):$$missing"; \
	  fi; \
	fi

run: $(STAMP)
	$(BIN)/lawtrail demo
	$(BIN)/lawtrail serve --port 8000

# The suite runs on every core (pytest-xdist; TEST_WORKERS=0 runs it in one process).
TEST_WORKERS ?= auto
test: $(STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS)

# The same suite on the local PostgreSQL server.
test-postgres: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} $(BIN)/pytest -n $(TEST_WORKERS)

# Benchmarks: ratios against baselines measured in the same run; results in bench/results/.
# LAWTRAIL_BENCH_UPLOAD_MB sets the upload size (default 1024), LAWTRAIL_BENCH_CASES the
# number of cases of the compliance and load runs (default 100000), LAWTRAIL_BENCH_SCALE_SIZES
# the ledger sizes of the scale run (default 10000,100000,1000000). The load run needs wrk
# (installed here when root). The Node tus server peer
# needs node and npm; it is skipped with a note when they are missing.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install -q -e ".[test,bench]"
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || echo "Please install wrk (Debian package wrk)"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/upload.py
	$(BIN)/python bench/compliance.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/ledger_scale.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/sealing.py

clean:
	rm -rf $(VENV) var
