import pytest
import torch

from iclr22lib.core.device import cpu_threads, hardware_summary


def test_cpu_threads_sets_and_restores():
    before = torch.get_num_threads()
    with cpu_threads(1, "cpu"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), cpu_threads(1, "cpu"):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize(("n", "device"), [(None, "cpu"), (1, "cuda"), (1, "cuda:0")])
def test_cpu_threads_leaves_setting_alone(n, device):
    before = torch.get_num_threads()
    with cpu_threads(n, device):
        assert torch.get_num_threads() == before


def test_hardware_summary_names_the_cpu():
    assert hardware_summary("cpu").startswith("CPU ")
