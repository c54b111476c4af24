"""The STS loaders against the published sizes, and the pool: label-free and de-duplicated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from iclr22lib import transencoder as te
from iclr22lib.core.data import fetch


@pytest.fixture(scope="module")
def sts_sets(real_data_root):
    fetch("sts", real_data_root)  # a missing or corrupt file fails, it is not skipped
    return {n: te.load_sts(n, real_data_root) for n in te.ALL_SETS}


def test_sizes_match_the_published_counts(sts_sets):
    for name, s in sts_sets.items():
        assert len(s) == te.PUBLISHED_SIZES[name], name
        assert len(s.a) == len(s.b) == s.gold.shape[0]
    assert len(sts_sets["stsb_dev"]) == 1500 and len(sts_sets["stsb_test"]) == 1379
    assert len(sts_sets["sick_test"]) == 4927


def test_gold_ranges_and_a_known_pair(sts_sets):
    for name, s in sts_sets.items():
        lo, hi = (1.0, 5.0) if name.startswith("sick") else (0.0, 5.0)
        assert s.gold.min() >= lo and s.gold.max() <= hi, name
    dev = sts_sets["stsb_dev"]
    assert dev.a[0] == "A man with a hard hat is dancing." and dev.gold[0] == 5.0
    assert dev.b[0] == "A man wearing a hard hat is dancing."


def test_pool_has_no_gold_labels(sts_sets):
    sets = list(sts_sets.values())
    pool = te.build_pool(sets)
    assert {f.name for f in dataclasses.fields(pool)} == {"a", "b"}
    assert all(isinstance(x, str) for x in pool.a[:100] + pool.b[:100])
    # the pool does not change when every gold score is replaced by noise: labels are never read
    rng = np.random.default_rng(0)
    noisy = [dataclasses.replace(s, gold=rng.normal(size=len(s))) for s in sets]
    assert te.build_pool(noisy) == pool
    # it is de-duplicated, and it contains the test pairs (the paper's transductive setting)
    pairs = list(zip(pool.a, pool.b, strict=True))
    assert len(pairs) == len(set(pairs))
    test = sts_sets["stsb_test"]
    assert (test.a[0], test.b[0]) in set(pairs)
    sub = te.build_pool(sets, 100, seed=3)
    assert len(sub) == 100 and set(zip(sub.a, sub.b, strict=True)) <= set(pairs)
    assert te.build_pool(sets, 100, seed=3) == sub


def test_subset_is_seeded(sts_sets):
    s = sts_sets["sick_test"]
    a, b = s.subset(50, seed=1), s.subset(50, seed=1)
    assert a.a == b.a and np.array_equal(a.gold, b.gold) and len(a) == 50
    assert s.subset(10_000) is s
