#!/bin/sh
# Regenerates dict.txt, the trimmed dictionary segment.go embeds: the words
# of gse's data/dict/zh/s_1.txt (gse: Apache-2.0; the dictionary comes from
# jieba: MIT) with a frequency of at least 200, as "word frequency" lines.
# Run by go generate in this directory; keep the version in step with go.mod.
set -e
src="$(go env GOMODCACHE)/github.com/go-ego/gse@v0.80.3/data/dict/zh/s_1.txt"
awk '$2 >= 200 {print $1, $2}' "$src" > dict.txt
