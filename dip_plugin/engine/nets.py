"""Generator networks for Deep Image Prior.

Two families:

* :class:`SkipNet` – the encoder–decoder with skip connections of Ulyanov et al. (2018):
  strided 3×3 convolutions down, upsampling + convolutions up, optional 1×1 skip branches,
  reflection padding, BatchNorm and LeakyReLU, a sigmoid on the output.
* :class:`DeepDecoder` – the under-parameterised decoder of Heckel & Hand (2019): only 1×1
  convolutions, bilinear upsampling, ReLU and channel normalisation.

Both map a fixed random input ``z`` (shape ``(1, C_in, H', W')``) to an image
``(1, C_out, H, W)``.  Use :func:`build_net` with a :class:`NetSpec` to construct them, and
:meth:`NetSpec.input_shape` to know what input they expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["DeepDecoder", "NetSpec", "SkipNet", "build_net", "count_parameters"]


@dataclass(frozen=True)
class NetSpec:
    """Hyperparameters of a generator network.

    ``kind`` is ``"skip"`` or ``"decoder"``.  For ``"skip"``, ``down``/``up``/``skip`` give the
    channels per level (all the same length = depth).  For ``"decoder"``, ``up`` gives the
    channels per layer; the first entry is also the input depth.
    """

    kind: str = "skip"
    input_depth: int = 32
    down: tuple[int, ...] = (128, 128, 128, 128, 128)
    up: tuple[int, ...] = (128, 128, 128, 128, 128)
    skip: tuple[int, ...] = (4, 4, 4, 4, 4)
    filter_size: int = 3
    upsample: str = "bilinear"
    need_1x1_up: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        """Number of resolution levels (each halves the size)."""
        return len(self.up) if self.kind == "decoder" else len(self.down)

    @property
    def multiple(self) -> int:
        """Image sides must be a multiple of this for the net to reproduce them exactly."""
        return 2 ** self.depth

    def input_shape(self, height: int, width: int) -> tuple[int, int, int, int]:
        """Shape of the random input for an output of ``height``×``width``."""
        if self.kind == "decoder":
            scale = 2 ** (len(self.up) - 1)
            return (1, self.up[0], height // scale, width // scale)
        return (1, self.input_depth, height, width)


def _conv(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    pad = (k - 1) // 2
    layers: list[nn.Module] = []
    if pad:
        layers.append(nn.ReflectionPad2d(pad))
    layers.append(nn.Conv2d(c_in, c_out, k, stride=stride, padding=0))
    return nn.Sequential(*layers)


def _block(c_in: int, c_out: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(_conv(c_in, c_out, k, stride), nn.BatchNorm2d(c_out), nn.LeakyReLU(0.2))


class _Level(nn.Module):
    """One level of the skip net: a skip branch and a deeper branch, concatenated."""

    def __init__(self, spec: NetSpec, i: int, c_in: int) -> None:
        super().__init__()
        k = spec.filter_size
        c_down, c_up, c_skip = spec.down[i], spec.up[i], spec.skip[i]
        last = i == len(spec.down) - 1
        self.skip = _block(c_in, c_skip, 1) if c_skip else None
        self.down = nn.Sequential(_block(c_in, c_down, k, stride=2), _block(c_down, c_down, k))
        self.inner = None if last else _Level(spec, i + 1, c_down)
        c_deep = c_down if last else spec.up[i + 1]
        mode = spec.upsample
        self.upsample = nn.Upsample(
            scale_factor=2, mode=mode, **({"align_corners": False} if mode == "bilinear" else {})
        )
        self.bn = nn.BatchNorm2d(c_skip + c_deep)
        up: list[nn.Module] = [_block(c_skip + c_deep, c_up, k)]
        if spec.need_1x1_up:
            up.append(_block(c_up, c_up, 1))
        self.up = nn.Sequential(*up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        deep = self.down(x)
        if self.inner is not None:
            deep = self.inner(deep)
        deep = self.upsample(deep)
        if self.skip is not None:
            s = self.skip(x)
            h = min(s.shape[-2], deep.shape[-2])
            w = min(s.shape[-1], deep.shape[-1])
            deep = torch.cat([s[..., :h, :w], deep[..., :h, :w]], dim=1)
        return self.up(self.bn(deep))


class SkipNet(nn.Module):
    """The paper's encoder–decoder with skip connections ("skip" in the authors' code).

    Example
    -------
    >>> net = SkipNet(NetSpec(down=(8, 16), up=(8, 16), skip=(4, 4)), out_channels=3)
    >>> net(torch.rand(1, 32, 16, 16)).shape
    torch.Size([1, 3, 16, 16])
    """

    def __init__(self, spec: NetSpec, out_channels: int) -> None:
        super().__init__()
        if not (len(spec.down) == len(spec.up) == len(spec.skip)):
            raise ValueError(
                f"down, up and skip need one entry per level; got {len(spec.down)}, "
                f"{len(spec.up)} and {len(spec.skip)}"
            )
        self.body = _Level(spec, 0, spec.input_depth)
        self.head = nn.Sequential(nn.Conv2d(spec.up[0], out_channels, 1), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(z))


class DeepDecoder(nn.Module):
    """Heckel & Hand's Deep Decoder: 1×1 convs, bilinear upsampling, ReLU, channel norm.

    Example
    -------
    >>> net = DeepDecoder(NetSpec(kind="decoder", up=(16, 16, 16)), out_channels=3)
    >>> net(torch.rand(1, 16, 4, 4)).shape
    torch.Size([1, 3, 16, 16])
    """

    def __init__(self, spec: NetSpec, out_channels: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        chans = list(spec.up)
        for i, c in enumerate(chans[:-1]):
            layers += [
                nn.Conv2d(c, chans[i + 1], 1, bias=False),
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.ReLU(),
                nn.BatchNorm2d(chans[i + 1], affine=True),
            ]
        layers += [
            nn.Conv2d(chans[-1], chans[-1], 1, bias=False),
            nn.ReLU(),
            nn.BatchNorm2d(chans[-1], affine=True),
            nn.Conv2d(chans[-1], out_channels, 1, bias=False),
            nn.Sigmoid(),
        ]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z)


def build_net(spec: NetSpec, out_channels: int) -> nn.Module:
    """Build the network that ``spec`` describes, producing ``out_channels`` channels."""
    if spec.kind == "skip":
        return SkipNet(spec, out_channels)
    if spec.kind == "decoder":
        return DeepDecoder(spec, out_channels)
    raise ValueError(f"unknown net kind {spec.kind!r}; use 'skip' or 'decoder'")


def count_parameters(net: nn.Module) -> int:
    """Number of trainable parameters of ``net``."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
