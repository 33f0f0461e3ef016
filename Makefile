# Two commands take a fresh clone to a green test suite (`make test`) and a built book (`make book`).
# Each creates or updates the virtual environment it needs (.venv) from pyproject.toml.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# The CPU build of PyTorch. On a CUDA machine install a CUDA build into .venv first; an installed torch is kept.
TORCH  ?= torch==2.13.0
# The book is built at paper scale from the stored results; BOOK_PROFILE=smoke builds (and computes) the smoke
# scale instead. Each profile goes to its own folder, since Jupyter Book's cache ignores the environment.
BOOK_PROFILE ?= paper
BOOK_OUT ?= _build/$(BOOK_PROFILE)
# Per-notebook time limit for the test suite (seconds).
NB_TIMEOUT ?= 1200

.PHONY: test lint fmt book book-build lab bench paper seeds new-chapter clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[$(subst +,$(comma),$*)]"
	touch $@

comma := ,

## make test: unit tests, every notebook at smoke scale (nbmake, two at a time), the book build and a browser check.
## Smoke results go to a fresh cache folder, so every notebook really computes.
test: $(VENV)/.installed-book+test
	LRLIB_PROGRESS=0 LRLIB_CACHE=$$(mktemp -d) $(BIN)/python -m pytest -n 2 --dist loadfile --nbmake --nbmake-timeout=$(NB_TIMEOUT) tests book

## make lint: ruff's lint rules and its format check (configured in pyproject.toml); `make fmt` applies both fixes
lint: $(VENV)/.installed-book+test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed-book+test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make book: build the HTML book (paper scale, from the stored results) into $(BOOK_OUT)/_build/html
book: $(VENV)/.installed-book
	$(MAKE) --no-print-directory book-build

book-build:
	LRLIB_PROFILE=$(BOOK_PROFILE) LRLIB_RESULTS=stored LRLIB_PROGRESS=0 \
		$(BIN)/jupyter-book build . --path-output $(BOOK_OUT) --all --keep-going -W
	@echo "Book: $(BOOK_OUT)/_build/html/index.html"

## make lab: JupyterLab on the chapters (set LRLIB_PROFILE=paper for the paper scale)
lab: $(VENV)/.installed-book+lab
	$(BIN)/jupyter lab book

## make bench: the ensemble engine against the per-model PyTorch loop, on whatever device is present
bench: $(VENV)/.installed-test
	$(BIN)/python -m lrlib.bench

## make paper: compute and store every paper-scale result that is not stored yet (a CUDA GPU is recommended;
## stored results are skipped, so an interrupted run resumes). PY=python3 uses another interpreter with lrlib's
## dependencies, e.g. on a GPU machine without this .venv.
PY ?= $(BIN)/python
paper:
	$(PY) -m lrlib.papers

## make seeds: every chapter's notebook at smoke scale at SEEDS seed offsets (0, 1000, ...), JOBS at a time; stores how
## often each smoke claim held (book/_results/seed-robustness), shown beside the claim in each claims table
SEEDS ?= 20
JOBS ?= 2
seeds: $(VENV)/.installed-book+test
	$(BIN)/python -m lrlib.seeds --offsets $(SEEDS) --jobs $(JOBS)

## make new-chapter N=2 SLUG=initial_large_lr: a new chapter package and notebook, copied from the template
new-chapter:
	@test -n "$(N)" -a -n "$(SLUG)" || { echo "usage: make new-chapter N=2 SLUG=initial_large_lr"; exit 2; }
	@pkg=lrlib/papers/ch0$(N)_$(SLUG); nb=book/0$(N)-$$(echo $(SLUG) | tr _ -).ipynb; \
	test ! -e $$pkg -a ! -e $$nb || { echo "$$pkg or $$nb exists already"; exit 2; }; \
	cp -r lrlib/papers/_template $$pkg && rm -rf $$pkg/__pycache__ && sed -i 's/"chXX"/"ch$(N)"/' $$pkg/scales.py; \
	sed 's/papers import _template as chX/papers import ch0$(N)_$(SLUG) as ch$(N)/; s/papers._template import/papers.ch0$(N)_$(SLUG) import/; s/chX\./ch$(N)./g; s/(chX)/(ch$(N))/g' \
	  book/_template/chapter.ipynb > $$nb; \
	echo "created $$pkg and $$nb; now add \"ch$(N)\": \"ch0$(N)_$(SLUG)\" to CHAPTERS in lrlib/papers/__init__.py and $$nb to _toc.yml"

clean:
	rm -rf _build .pytest_cache
