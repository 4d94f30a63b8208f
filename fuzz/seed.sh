#!/bin/sh
# Copies the seed inputs (the corpus, the examples, the parser fixtures) into
# fuzz/corpus/<target>/ as <folder>_<file>; run it from anywhere.
set -eu
cd "$(dirname "$0")"
for target in parse check; do
  mkdir -p "corpus/$target"
  for f in ../derivations/*.nabla ../examples/*.nabla ../tests/fixtures/parse/*/*.nabla ../tests/fixtures/fuzz/*.nabla; do
    [ -f "$f" ] || continue
    cp "$f" "corpus/$target/$(basename "$(dirname "$f")")_$(basename "$f")"
  done
done
# the document target: the first byte picks the kind (0 Markdown, 1 LaTeX, 2 notebook)
mkdir -p corpus/document
for f in ../tests/documents/*; do
  case "$f" in
    *.expect|*.defs.nabla) continue ;;
    *.tex) kind='\001' ;;
    *.ipynb) kind='\002' ;;
    *) kind='\000' ;;
  esac
  { printf "$kind"; cat "$f"; } > "corpus/document/documents_$(basename "$f")"
done
