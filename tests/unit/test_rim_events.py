"""Event logs to states, the ML-1M recipe on MovieLens-100K, bad inputs, and one FULL-config step."""

from itertools import pairwise

import numpy as np
import pytest
import torch

from iclr22lib import rim
from iclr22lib.core.config import ConfigError
from iclr22lib.core.data import DataError


def test_states_on_a_hand_made_log():
    # user 0: items 5, 6, 7 at t = 1, 2, 4; user 1: item 5 at t = 3
    log = rim.make_log([0, 1, 0, 0], [5, 5, 7, 6], [1.0, 3.0, 4.0, 2.0], n_items=8)
    st = rim.make_states(log, np.array([3.0, 2.0]), horizon=1.5)
    assert st.hist_len.tolist() == [2, 0]
    assert st.hist_items[0, :2].tolist() == [5, 6]
    # windows [3, 4.5) and [2, 3.5): user 0's item 7 at t = 4 and user 1's item 5 at t = 3
    assert list(zip(st.tgt_state.tolist(), st.tgt_item.tolist(), strict=True)) == [(0, 7), (1, 5)]
    assert st.t0.tolist() == [1.0, 3.0]
    st2 = rim.make_states(log, np.array([10.0, np.inf]), horizon=1.0, max_len=2)
    assert st2.hist_items[0].tolist() == [6, 7]  # the last two
    seq, lengths = rim.sequences(st2, max_len=3)
    assert seq[0].tolist() == [9, 6, 7] and lengths.tolist() == [3, 2]


def test_bad_inputs_stop_with_clear_messages(tmp_path):
    with pytest.raises(ValueError, match="one length"):
        rim.make_log([0, 1], [0], [0.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        rim.make_log([0], [0], [np.nan])
    with pytest.raises(DataError, match="ml-100k"):
        rim.load_ml100k(root=tmp_path)
    with pytest.raises(ConfigError, match="mark_models"):
        rim.config("smoke", mark_models="lstm")
    with pytest.raises(ConfigError, match="unknown parameter"):
        rim.config("smoke", epoch=3)
    with pytest.raises(ConfigError, match="wrong type"):
        rim.config("smoke", epochs="3")


def test_ml100k_through_the_ml1m_recipe(real_data_root):
    raw = rim.load_ml100k(real_data_root)
    assert (len(raw), raw.n_users, raw.n_items) == (100_000, 943, 1682)
    log = rim.ml1m_recipe(raw)
    counts = np.bincount(log.user, minlength=943)
    assert (counts == np.bincount(raw.user) // 2 + 1).all()  # the second half of every user
    assert len(log) == 50_703  # the count the official recipe gives (research notes)
    data = rim.user_split(log)
    assert len(data.test) + len(data.valid) <= 943 and 400 < len(data.test) < 520
    assert data.horizon == pytest.approx(1130.0)  # as the official code reports on this data


def test_full_config_runs_one_step_on_cpu():
    cfg = rim.config("full", allow_cpu_full=True, device="cpu")
    assert (cfg.hidden, cfg.layers, cfg.epochs, cfg.n_decays) == (128, 2, 20, 50)
    log, _ = rim.generate(n_users=40, n_items=30, periods=4.0, seed=0)
    data = rim.temporal_split(log, 3.0, 1.0)
    for name in rim.mark_model_names(cfg):
        model = rim.build_mark_model(name, data.n_items, cfg.hidden, cfg.layers, cfg.heads, cfg.max_len)
        trained = rim.train_mark_model(
            model, data.train, epochs=1, lr=cfg.lr, batch_size=cfg.batch_size, max_len=cfg.max_len
        )
        assert len(trained.train) == 1 and np.isfinite(trained.train[0])
        score = rim.mark_score(model, data.test, data.test_items, cfg.max_len)
        p = score.dense()
        assert torch.isfinite(p).all() and float(p.sum(1).max()) <= 1.0001
    lam = rim.fit_intensities(data, cfg.n_decays)
    assert all(np.isfinite(v).all() for v in lam.test.values())
    sol = rim.solve_dual(score.scale_rows(lam.test["HP"]), cfg.mults[1], 2, 1, epochs=1)
    assert torch.isfinite(sol.v).all()


def test_length_batches_partition_and_cut_padding():
    """Bucketed batches hold every index once, keep batch_size, and pad far less on long-tailed lengths."""
    from iclr22lib.rim.seqrec import length_batches

    g = torch.Generator().manual_seed(0)
    lengths = torch.as_tensor(np.random.default_rng(0).pareto(1.2, 1000) * 10 + 2).long().clamp(max=256)
    order = torch.randperm(1000, generator=g)
    random, bucketed = length_batches(order, lengths, 64, 0, g), length_batches(order, lengths, 64, 8, g)
    assert [b.tolist() for b in random] == [b.tolist() for b in order.split(64)]
    assert sorted(torch.cat(bucketed).tolist()) == list(range(1000))
    assert sorted(len(b) for b in bucketed).count(64) >= len(bucketed) - 2  # one short batch per chunk

    def padded(batches):
        return sum(int(lengths[b].max()) * len(b) for b in batches)

    assert padded(bucketed) < 0.5 * padded(random)
    # within a chunk, batches are contiguous runs of sorted lengths: no two batches of a chunk overlap
    chunk = order[: 64 * 8]
    mine = [b for b in bucketed if set(b.tolist()) <= set(chunk.tolist())]
    spans = sorted((int(lengths[b].min()), int(lengths[b].max())) for b in mine)
    assert all(hi <= lo2 for (_, hi), (lo2, _) in pairwise(spans))
