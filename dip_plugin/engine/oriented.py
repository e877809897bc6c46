"""An oriented smooth fill: diffusion along the direction the texture runs.

Fur, grass, hair and the edges of leaves have a local direction.  A hole pixel there is much more
like the known pixels along that direction than like those across it, which an isotropic fill
(harmonic or biharmonic) ignores.  This fill reads the direction and its strength from the
structure tensor of the known pixels (smoothed, then continued smoothly into the hole) and solves
the anisotropic diffusion equation ``div(D grad u) = 0`` on the hole, with ``D`` passing values along
the direction and, where the texture is strongly directed, hardly at all across it (coherence-
enhancing diffusion after Weickert, "Anisotropic Diffusion in Image Processing", 1998; used for
inpainting by Bornemann and März, "Fast image inpainting based on coherence transport", 2007,
doi:10.1007/s10851-007-0017-6).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .classical import _laplace, smooth_fill, solve_on_hole

__all__ = ["oriented_fill", "structure_tensor"]


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    radius = max(1, int(3 * sigma + 0.5))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-(t * t) / (2 * sigma * sigma))
    k = k / k.sum()
    c = x.shape[1]
    row, col = k.view(1, 1, 1, -1).expand(c, 1, 1, -1), k.view(1, 1, -1, 1).expand(c, 1, -1, 1)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), row, groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), col, groups=c)


def _cell_gradient(u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The gradient on each 2×2 cell of pixels, ``(…, H-1, W-1)``: the average of its two differences."""
    a, b, c, d = u[..., :-1, :-1], u[..., :-1, 1:], u[..., 1:, :-1], u[..., 1:, 1:]
    return ((b - a) + (d - c)) / 2, ((c - a) + (d - b)) / 2


def _cell_gradient_adjoint(gx: torch.Tensor, gy: torch.Tensor) -> torch.Tensor:
    """The transpose of :func:`_cell_gradient`: cells back onto their four corner pixels."""
    return (F.pad(-gx - gy, (0, 1, 0, 1)) + F.pad(gx - gy, (1, 0, 0, 1))
            + F.pad(-gx + gy, (0, 1, 1, 0)) + F.pad(gx + gy, (1, 0, 1, 0))) / 2


def structure_tensor(image: torch.Tensor, known: torch.Tensor, sigma: float = 3.0) -> torch.Tensor:
    """The smoothed structure tensor ``(Jxx, Jxy, Jyy)`` of the known pixels, on cells, ``(1, 3, H-1, W-1)``.

    Gradients come from the luminance of cells whose four pixels are known; they are averaged with a
    Gaussian of ``sigma`` pixels (weighted by how many known cells it covers) and the tensor is
    continued smoothly into the rest of the hole.
    """
    lum = image.mean(1, keepdim=True)
    k = known.to(image.dtype)
    cells = k[..., :-1, :-1] * k[..., :-1, 1:] * k[..., 1:, :-1] * k[..., 1:, 1:]
    gx, gy = _cell_gradient(lum)
    weight = _gaussian_blur(cells, sigma)
    tensor = _gaussian_blur(torch.cat([gx * gx, gx * gy, gy * gy], 1) * cells, sigma) / weight.clamp_min(1e-6)
    return smooth_fill(tensor, weight > 0.2, iters=100)


# The fill's energy also holds this much of the plain (isotropic, 4-neighbour) smoothness: the cell
# gradient does not see a checkerboard, the 4-neighbour differences do.
_ISOTROPIC = 0.01


def oriented_fill(image: torch.Tensor, known: torch.Tensor, *, sigma: float = 3.0, across_min: float = 0.02,
                  sharpness: float = 4.0, iters: int = 300) -> torch.Tensor:
    """Fill the unknown pixels of ``image`` by diffusion along the local direction of the known texture.

    The diffusion tensor is ``D = v vᵀ + λ w wᵀ`` with ``v`` along the texture's direction and ``w``
    across it, ``λ = across_min + (1 − across_min)(1 − coherence)^sharpness``: isotropic where the
    texture has no direction, nearly one-dimensional where it has a clear one.

    Parameters
    ----------
    image : (1, C, H, W) float tensor
    known : (1, 1, H, W) bool tensor, True where ``image`` is valid.
    sigma : the scale (pixels) over which the direction is measured.
    iters : most conjugate-gradient iterations.

    Returns
    -------
    (1, C, H, W) tensor equal to ``image`` on known pixels.

    Example
    -------
    >>> y, x = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    >>> stripes = torch.sin(0.5 * (x + y))[None, None]  # diagonal stripes
    >>> known = torch.ones(1, 1, 32, 32, dtype=torch.bool); known[..., 12:20, 12:20] = False
    >>> def hole_error(fill): return float((fill - stripes)[~known.expand_as(stripes)].abs().mean())
    >>> round(hole_error(smooth_fill(stripes, known)), 2), round(hole_error(oriented_fill(stripes, known)), 2)
    (0.24, 0.06)
    """
    if bool(known.all()) or not bool(known.any()) or min(image.shape[-2:]) < 2:
        return smooth_fill(image, known)
    j = structure_tensor(image, known, sigma)
    jxx, jxy, jyy = j[:, 0:1], j[:, 1:2], j[:, 2:3]
    coherence = torch.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / (jxx + jyy).clamp_min(1e-12)
    angle = 0.5 * torch.atan2(2 * jxy, jxx - jyy)  # the direction of the strongest change: across
    wx, wy = torch.cos(angle), torch.sin(angle)
    vx, vy = -wy, wx
    across = across_min + (1 - across_min) * (1 - coherence.clamp(0, 1)) ** sharpness
    dxx, dxy, dyy = vx * vx + across * wx * wx, vx * vy + across * wx * wy, vy * vy + across * wy * wy

    def operator(u: torch.Tensor) -> torch.Tensor:
        gx, gy = _cell_gradient(u)
        return _cell_gradient_adjoint(dxx * gx + dxy * gy, dxy * gx + dyy * gy) - _ISOTROPIC * _laplace(u)

    hole = (~known).to(image.dtype)
    x = solve_on_hole(operator, smooth_fill(image, known, iters=100), hole, iters)
    return torch.where(known, image, x)
