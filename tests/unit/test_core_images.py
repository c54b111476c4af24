import zipfile
from collections import Counter

import numpy as np
import pytest

from iclr22lib.core import images
from iclr22lib.core.data import DataError, fetch


def test_archives_hold_the_published_counts(real_data_root):
    # SOURCE.md: all 10,000 test images (1,000 per class), first 2,000 train images per class.
    for split, per_class in (("train", 2000), ("test", 1000)):
        archive, available = images.CIFAR10_ARCHIVES[split]
        with zipfile.ZipFile(fetch(images.DATASET, real_data_root, files=[archive]) / archive) as zf:
            counts = Counter(n.split("/")[1] for n in zf.namelist() if n.endswith(".jpg"))
        assert available == per_class
        assert sorted(counts) == sorted(images.CIFAR10_CLASSES)
        assert set(counts.values()) == {per_class}


def test_loader_shapes_labels_and_determinism(real_data_root):
    x, y = images.load_cifar10_jpeg("test", per_class=3, root=real_data_root)
    assert x.shape == (30, 32, 32, 3) and x.dtype == np.uint8
    assert y.tolist() == [c for c in range(10) for _ in range(3)]
    x2, _ = images.load_cifar10_jpeg("test", per_class=2, offset=1, classes=[0], root=real_data_root)
    assert np.array_equal(x2, x[1:3])
    assert 40 < x.mean() < 200  # real photos, not blank decodes


def test_bad_arguments_say_what_is_allowed(real_data_root, tmp_path):
    with pytest.raises(ValueError, match="has 1000 per class"):
        images.load_cifar10_jpeg("test", per_class=1001, root=real_data_root)
    with pytest.raises(ValueError, match="choose one of 'train', 'test'"):
        images.load_cifar10_jpeg("val", root=real_data_root)
    with pytest.raises(DataError, match="cifar10_jpeg_subset"):
        images.load_cifar10_jpeg("test", per_class=1, root=tmp_path)
