"""ETH/UCY files and splits against their sizes, windowing against a brute-force count, the simulator."""

import numpy as np
import pytest
import torch

from iclr22lib import trajattr as ta
from iclr22lib.core.data import fetch

# rows and distinct pedestrian ids of the staged whole-scene files (counted with awk on the files;
# ETH 360, Zara01 148, Zara02 204 pedestrians agree with the numbers usually quoted for these sets)
FILE_SIZES = {
    "biwi_eth": (5492, 360),
    "biwi_hotel": (6543, 389),
    "crowds_zara01": (5153, 148),
    "crowds_zara02": (9722, 204),
    "crowds_zara03": (5005, 137),
    "students001": (21813, 415),
    "students003": (17953, 434),
    "uni_examples": (2747, 118),
}


@pytest.fixture(scope="module")
def eth_root(real_data_root):
    return fetch("eth_ucy", real_data_root)  # a missing or corrupt file fails, it is not skipped


@pytest.mark.parametrize("name", sorted(FILE_SIZES))
def test_file_rows_and_pedestrians(eth_root, name):
    rows = ta.read_tracks(eth_root / "all_data" / f"{name}.txt")
    assert (len(rows), len(np.unique(rows[:, 1]))) == FILE_SIZES[name]


def test_leave_one_out_splits(eth_root):
    for scene in ta.ETH_SCENES:
        test = [p.name for p in ta.split_files(scene, "test")]
        train = [p.name for p in ta.split_files(scene, "train")]
        val = [p.name for p in ta.split_files(scene, "val")]
        assert len(train) == len(val) == (6 if scene == "univ" else 7)
        assert not {t.split(".")[0] for t in test} & {t.rsplit("_", 1)[0] for t in train}
    assert [p.name for p in ta.split_files("univ", "test")] == ["students001.txt", "students003.txt"]
    with pytest.raises(ValueError, match="unknown ETH/UCY scene 'zara3'"):
        ta.split_files("zara3", "test")


def test_windows_match_a_brute_force_count(eth_root):
    rows = ta.read_tracks(eth_root / "all_data" / "crowds_zara01.txt")
    present = {(int(f), int(p)) for f, p, _, _ in rows}
    step = 10
    expected = sum(
        all((f + k * step, p) in present for k in range(20)) for f, p in present
    )  # every (start frame, pedestrian) with 20 consecutive frames
    batch = ta.windows(ta.dense_tracks(rows), radius=3.0, max_nbrs=4)
    assert len(batch) == expected
    assert torch.equal(batch.past[:, -1], torch.zeros(len(batch), 2))  # target-centred
    assert batch.nbr_mask.any() and (batch.nbrs[~batch.nbr_mask] == 0).all()


def test_windows_on_a_hand_made_scene():
    dense = np.full((1, 21, 3, 2), np.nan)
    dense[0, :, 0] = np.stack([np.arange(21) * 0.5, np.zeros(21)], -1)  # walks along x
    dense[0, :, 1] = dense[0, :, 0] + [0.0, 1.0]  # 1 m beside it, always present
    dense[0, 5:, 2] = dense[0, 5:, 0] + [0.0, 10.0]  # far away, appears late
    b = ta.windows(dense, radius=3.0, max_nbrs=2)
    # agents 0 and 1 have two full windows (starts 0 and 1); agent 2 has none (16 frames)
    assert len(b) == 4 and b.nbr_mask.sum().item() == 4  # each target sees the other at 1 m only
    first = b.index(0)  # agent 0, start 0: the neighbour is agent 1, 1 m to the left
    torch.testing.assert_close(first.nbrs[0, :, 1], torch.ones(8))
    torch.testing.assert_close(first.future[:, 0], torch.arange(1, 13) * 0.5)


def test_simulator_conserves_agents_and_is_seeded():
    a = ta.simulate(5, 4, lam=2.0, gamma=0.5, seed=7)
    b = ta.simulate(5, 4, lam=2.0, gamma=0.5, seed=7)
    assert a.shape == (5, 20, 4, 2) and torch.isfinite(a).all() and torch.equal(a, b)
    speed = (a[:, 1:] - a[:, :-1]).norm(dim=-1) / 0.4
    assert 1.0 < speed.mean().item() < 1.6  # desired speeds are N(1.3, 0.2) m/s


def test_agents_are_independent_at_lambda_zero():
    state = ta.initial_state(20, 5, seed=3)
    moved = ta.initial_state(20, 5, seed=3)
    moved.pos[:, 1:] = state.pos[:, :1] + 0.3 * torch.randn(20, 4, 2)  # crowd the others around agent 0
    alone, crowded = ta.rollout(state, 0.0), ta.rollout(moved, 0.0)
    assert torch.equal(alone[:, :, 0], crowded[:, :, 0])
    alone, crowded = ta.rollout(state, 3.0), ta.rollout(moved, 3.0)
    assert (alone[:, :, 0] - crowded[:, :, 0]).norm(dim=-1).max() > 0.5


def test_followers_close_in_on_their_leaders():
    free = ta.simulate(50, 2, lam=0.0, gamma=0.0, seed=1)
    led = ta.simulate(50, 2, lam=0.0, gamma=1.0, seed=1)

    def gap(x, t):
        return (x[:, t, 1] - x[:, t, 0]).norm(dim=-1).median().item()

    # same start (about 4 m apart): independent walkers drift apart, a follower stays within ~2.5 m
    assert gap(free, 0) == pytest.approx(gap(led, 0), abs=1.0)
    assert gap(led, -1) < 2.5 < 8.0 < gap(free, -1)
    with pytest.raises(ValueError, match="0 <= gamma <= 1"):
        ta.simulate(2, 2, lam=1.0, gamma=2.0)
