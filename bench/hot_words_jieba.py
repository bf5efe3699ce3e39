#!/usr/bin/env python3
"""Baseline for PLAT-21's hot words: Python jieba (`pip install jieba`) over the same texts the
opinions bench wrote (one per line), counting in how many texts each word of two or more
characters occurs — the same document frequency `nlp::keywords::hot_words` computes.

    python3 bench/hot_words_jieba.py /tmp/renda-obench/texts.txt
"""
import sys
import time
from collections import Counter

import jieba

jieba.setLogLevel(60)
jieba.initialize()
path = sys.argv[1]
start = time.time()
df = Counter()
n = 0
with open(path, encoding="utf-8") as f:
    for line in f:
        n += 1
        df.update({w for w in jieba.lcut(line.strip()) if len(w) >= 2})
secs = time.time() - start
top = ",".join(f"{w}:{c}" for w, c in df.most_common(10))
print(f"HOT_WORDS_JIEBA_PY texts={n} seconds={secs:.1f} texts_per_s={n / secs:.0f} top={top}")
