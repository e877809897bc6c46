"""An exemplar fill: each missing pixel copied from the known patch that best matches its surroundings.

Thin holes over a repeating pattern (text over a woven fabric, a scratch across a tiled wall) are
where a smooth fill blurs and a short DIP fit has not yet learned the pattern's fine period; the
pattern itself is right next to the hole.  The fill peels the hole from its edge inward: each
pixel on the current edge takes the centre of the fully known ``patch``×``patch`` window whose
pixels best match the already known pixels around it (squared difference over those pixels), the
classic non-parametric texture synthesis of Efros and Leung (ICCV 1999).  The search is exhaustive
over a coarse grid of windows, then refined among the neighbours of the best few, so its cost stays
at a second or two for a 256×256 crop on a CPU.

Each filled pixel also gets its match error (mean squared difference per known pixel of its window):
near zero where the content repeats exactly, large on stochastic texture, which tells the caller how
far to trust the copy.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["exemplar_fill"]


def exemplar_fill(image: torch.Tensor, known: torch.Tensor, *, patch: int = 7, max_coarse: int = 16384,
                  keep: int = 3, chunk: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Fill the unknown pixels of ``image`` with pixels copied from its best-matching known windows.

    Parameters
    ----------
    image : (1, C, H, W) float tensor.
    known : (1, 1, H, W) bool tensor, True where ``image`` is valid.
    patch : window side (odd).
    max_coarse : most windows in the exhaustive coarse search (a grid of every ``s``-th window);
        the ``keep`` best of them per pixel are refined over their neighbours.

    Returns
    -------
    (fill, error): ``fill`` (1, C, H, W) equals ``image`` on known pixels; ``error`` (1, 1, H, W) is
    each filled pixel's match error (0 on known pixels).  Where no window is fully known, the
    image comes back unchanged with an infinite error on the unknown pixels.

    Example
    -------
    >>> stripes = (torch.arange(32) % 4 < 2).float().expand(1, 3, 32, 32).clone()
    >>> known = torch.ones(1, 1, 32, 32, dtype=torch.bool); known[..., 14:17, 10:20] = False
    >>> fill, error = exemplar_fill(stripes, known)
    >>> bool((fill - stripes).abs().max() < 1e-6), float(error.max())
    (True, 0.0)
    """
    _, c, h, w = image.shape
    r = patch // 2
    error = torch.zeros(1, 1, h, w, dtype=image.dtype, device=image.device)
    valid = F.avg_pool2d(F.pad(known.to(image.dtype), (r, r, r, r)), patch, stride=1).flatten() > 1 - 1e-6
    if bool(known.all()):
        return image.clone(), error
    if not bool(valid.any()):
        error[~known] = float("inf")
        return image.clone(), error
    windows = F.unfold(F.pad(image, (r, r, r, r)), patch)[0]  # (C·P², H·W), channel-major
    stride = 1
    while int(valid.sum()) > max_coarse * stride * stride:
        stride += 1
    grid = torch.zeros(h, w, dtype=torch.bool, device=image.device)
    grid[::stride, ::stride] = True
    coarse = (valid & grid.flatten()).nonzero().flatten()
    if len(coarse) == 0:
        coarse = valid.nonzero().flatten()
    cand = windows[:, coarse].T.contiguous()  # (N, D)
    cand_sq = cand * cand
    offsets = torch.tensor([(dy, dx) for dy in range(-stride + 1, stride) for dx in range(-stride + 1, stride)],
                           device=image.device)
    out = torch.where(known, image, torch.zeros_like(image)).flatten(2)[0].clone()  # (C, H·W)
    done = known.flatten().clone()
    while True:
        grown = F.max_pool2d(done.view(1, 1, h, w).to(image.dtype), 3, stride=1, padding=1).flatten() > 0
        front = (grown & ~done).nonzero().flatten()
        if len(front) == 0:
            break
        query = F.unfold(F.pad(out.view(1, c, h, w), (r, r, r, r)), patch)[0][:, front].T  # (F, D)
        seen = F.unfold(F.pad(done.view(1, 1, h, w).to(image.dtype), (r, r, r, r)), patch)[0][:, front].T
        seen = seen.repeat(1, c)  # (F, D)
        for s in range(0, len(front), chunk):
            q, m = query[s : s + chunk], seen[s : s + chunk]
            score = m @ cand_sq.T - 2 * (m * q) @ cand.T
            best = coarse[score.topk(min(keep, len(coarse)), dim=1, largest=False).indices]  # (f, k)
            pos = _neighbours(best, offsets, h, w)  # (f, k·O)
            ok = valid[pos]
            diff = windows[:, pos].permute(1, 2, 0) - q[:, None, :]  # (f, k·O, D)
            ssd = (diff * diff * m[:, None, :]).sum(-1).masked_fill(~ok, float("inf"))
            val, pick = ssd.min(1)
            src = pos.gather(1, pick[:, None])[:, 0]
            idx = front[s : s + chunk]
            out[:, idx] = image.flatten(2)[0][:, src]
            error.view(-1)[idx] = val / m.sum(1).clamp_min(1)
        done[front] = True
    return torch.where(known, image, out.view(1, c, h, w)), error


def _neighbours(best: torch.Tensor, offsets: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Flat indices of the windows within the coarse grid's spacing of each of ``best`` (clamped)."""
    y = (best // w)[..., None] + offsets[:, 0]
    x = (best % w)[..., None] + offsets[:, 1]
    return (y.clamp(0, h - 1) * w + x.clamp(0, w - 1)).flatten(1)
