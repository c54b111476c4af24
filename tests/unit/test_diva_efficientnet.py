"""EfficientNet-Lite0: TF "same" padding, the pretrained weights, and that they recognise CIFAR photos."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from iclr22lib import diva
from iclr22lib.core.images import load_cifar10_jpeg
from iclr22lib.diva import efficientnet as E

# ImageNet-1k indices of boats/ships and of cars/trucks (the CIFAR "ship" and "automobile" classes).
SHIPS = {403, 472, 484, 510, 554, 576, 625, 628, 724, 780, 814, 833, 871, 913, 914}
CARS = {407, 436, 468, 479, 511, 555, 569, 573, 581, 609, 627, 656, 661, 675, 705, 717, 734, 751, 817, 864}


@pytest.mark.parametrize("size", [7, 8, 32, 33])
@pytest.mark.parametrize("kernel,stride", [(3, 1), (3, 2), (5, 2), (1, 1)])
def test_same_padding_matches_tensorflow_rule(size, kernel, stride):
    torch.manual_seed(0)
    conv = E._SameConv(2, 3, kernel, stride=stride, bias=False)
    x = torch.randn(1, 2, size, size)
    y = conv(x)
    assert y.shape[-1] == -(-size // stride)  # ceil(size / stride)
    total = max((y.shape[-1] - 1) * stride + kernel - size, 0)
    lo, hi = total // 2, total - total // 2  # TF puts the odd pixel on the right/bottom
    ref = F.conv2d(F.pad(x, [lo, hi, lo, hi]), conv.weight, stride=stride)
    torch.testing.assert_close(y, ref)


def test_architecture_matches_the_pretrained_state_dict():
    net = diva.load_efficientnet_lite0()  # also checks the sha256 of the weights
    assert sum(p.numel() for p in net.parameters()) == 4_652_008  # EfficientNet-Lite0: 4.65 M parameters
    assert len(net._blocks) == 16 and not net.training


def test_corrupt_weights_are_refused(tmp_path):
    bad = tmp_path / "w.pth"
    bad.write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="sha256"):
        diva.load_efficientnet_lite0(bad)
    with pytest.raises(FileNotFoundError, match="not found"):
        diva.load_efficientnet_lite0(tmp_path / "missing.pth")


def test_pretrained_network_recognises_cifar_ships_and_cars(real_data_root):
    """A miswired network (wrong padding, block order, normalisation) would put ~0 % of the CIFAR ships
    among ImageNet's boat classes; the pretrained one does for most of them even at 128 px."""
    x, y = load_cifar10_jpeg("test", per_class=20, classes=[1, 8], root=real_data_root)
    net = diva.load_efficientnet_lite0()
    with torch.no_grad():
        top5 = net(E.prepare_images(x, 128)).topk(5, dim=1).indices.tolist()
    hit = np.array([bool(set(t) & (SHIPS if c == 8 else CARS)) for t, c in zip(top5, y, strict=True)])
    assert hit[y == 8].mean() >= 0.5 and hit[y == 1].mean() >= 0.4
    feats = diva.efficientnet_features(net, x[:5], size=64)
    assert feats.shape == (5, E.FEATURE_DIM) and bool((feats >= 0).all())  # after ReLU6 and pooling
