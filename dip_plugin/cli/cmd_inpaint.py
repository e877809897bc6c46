"""``dip inpaint``: fill the holes of a photo (one file, or a whole folder with ``--batch``)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..imageio_limits import os_error_text
from . import CliError
from . import _common as common

__all__ = ["register", "run"]

# Files --batch picks up in INPUT_DIR and looks for in MASK_DIR.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".jpe", ".tif", ".tiff", ".webp", ".bmp", ".gif")

_EPILOG = """\
mask: an image of the same width and height as IMAGE; pixels brighter than half (> 127 in any
channel, and not transparent) are holes to fill. Or use --mask-from-alpha to fill IMAGE's fully
transparent pixels.

examples:
  dip inpaint photo.jpg --mask scratches.png -o restored.jpg
  dip inpaint logo.png --mask-from-alpha -o filled.png --preset fast
  dip inpaint --batch scans/ --masks masks/ -o restored/

exit status: 0 done, 1 some files of a batch failed, 2 bad input (message on stderr), 130 interrupted.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inpaint",
        help="fill holes, scratches or unwanted objects marked by a mask",
        description="Fill the masked pixels of a photo with Deep Image Prior; everything outside the mask "
        "is kept exactly.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("image", nargs="?", metavar="IMAGE", help="the photo to fill (not with --batch)")
    masks = p.add_argument_group("mask (one of)")
    masks.add_argument("--mask", metavar="MASK", help="mask image: white (> 127) = fill, black = keep")
    masks.add_argument("--mask-from-alpha", action="store_true",
                       help="fill IMAGE's fully transparent pixels (alpha = 0) instead")
    batch = p.add_argument_group("batch mode")
    batch.add_argument("--batch", metavar="INPUT_DIR",
                       help="fill every image in INPUT_DIR; -o is then the output folder (created if missing)")
    batch.add_argument("--masks", metavar="MASK_DIR",
                       help="folder of masks for --batch, matched by file name without extension "
                       "(photo.jpg <- photo.png)")
    common.add_common_options(
        p, output_help="the result file; its extension picks the format (.png, .jpg, .tif, .webp, .bmp). "
        "With --batch: the output folder",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``dip inpaint`` with parsed ``args``; return the exit status."""
    if args.batch is not None:
        return _run_batch(args)
    if args.image is None:
        raise CliError("give an IMAGE to fill, or --batch INPUT_DIR (see dip inpaint --help)")
    if args.masks is not None:
        raise CliError("--masks is for --batch; for one image use --mask MASK")
    if (args.mask is None) == (not args.mask_from_alpha):
        raise CliError("give exactly one of --mask MASK or --mask-from-alpha")
    output = common.check_output(args.output, args.image, args.mask)
    common.check_side_outputs(args, output, args.image, args.mask)
    image = common.read_image(args.image)
    mask = _mask_for(image.pixels, args.mask, args.image)
    common.check_result(args, output, image)
    common.check_options(args)  # imports the engine: after the quick checks of the files

    from .. import inpaint

    started = time.perf_counter()
    common.run_engine(inpaint, image.pixels, mask, args=args, label=Path(args.image).name,
                      postprocess=_opaque_holes(mask) if args.mask_from_alpha else None,
                      save=lambda r: common.write_image(output, r, like=image))
    if not args.quiet:
        print(f"dip: wrote {output} ({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


def _mask_for(pixels: np.ndarray, mask_path: str | Path | None, image_path: str | Path) -> np.ndarray:
    """The hole mask for ``pixels``, from a mask file or (``mask_path`` None) from transparency."""
    if mask_path is None:
        try:
            from ..imageio import mask_from_alpha

            mask = mask_from_alpha(pixels)
        except ValueError:
            raise CliError(f"{image_path} has no alpha channel, so --mask-from-alpha finds no holes; "
                           "give --mask MASK instead") from None
        if not mask.any():
            raise CliError(f"{image_path} has no fully transparent pixels: nothing to fill")
        if mask.all():
            raise CliError(f"{image_path} is fully transparent: there is nothing to fill the holes from")
        return mask
    mask = common.read_mask(mask_path, pixels.shape[:2])
    if not mask.any():
        raise CliError(f"mask {mask_path} marks no pixels (nothing to fill); paint the holes white (> 127)")
    if mask.all():
        raise CliError(f"mask {mask_path} covers the whole image, so there is nothing to fill from; "
                       "holes should be white, kept pixels black")
    return mask


def _opaque_holes(mask: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """Holes that came from transparency become opaque once filled (else the fill would stay invisible)."""

    def apply(pixels: np.ndarray) -> np.ndarray:
        out = pixels.copy()
        out[..., -1][mask] = np.iinfo(out.dtype).max if np.issubdtype(out.dtype, np.integer) else 1.0
        return out

    return apply


def _image_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir()
                      if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS)
    except OSError as exc:
        raise CliError(f"cannot list {folder}: {os_error_text(exc)}") from None


def _find_mask(mask_dir: Path, stem: str) -> Path:
    found = [p for p in _image_files(mask_dir) if p.stem == stem]
    if not found:
        raise CliError(f"no mask named {stem}.* in {mask_dir}")
    if len(found) > 1:
        raise CliError(f"several masks named {stem}.* in {mask_dir}: {', '.join(p.name for p in found)}")
    return found[0]


def _batch_output(out_dir: Path, source: Path) -> Path:
    from ..imageio import OUTPUT_EXTENSIONS

    name = source.name if source.suffix.lower() in OUTPUT_EXTENSIONS else source.stem + ".png"
    return out_dir / name


def _run_batch(args: argparse.Namespace) -> int:
    if args.image is not None:
        raise CliError(f"with --batch, give no IMAGE (got {args.image!r}); every image in INPUT_DIR is filled")
    if args.mask is not None:
        raise CliError("with --batch, give a mask folder with --masks MASK_DIR (not --mask)")
    if (args.masks is None) == (not args.mask_from_alpha):
        raise CliError("with --batch, give exactly one of --masks MASK_DIR or --mask-from-alpha")
    if args.gif is not None:
        raise CliError("--gif is for one image; with --batch use --save-progress DIR")
    in_dir = Path(args.batch)
    if not common.is_folder(in_dir, "--batch"):
        raise CliError(f"--batch {in_dir}: no such folder")
    mask_dir = Path(args.masks) if args.masks is not None else None
    if mask_dir is not None and not common.is_folder(mask_dir, "--masks"):
        raise CliError(f"--masks {mask_dir}: no such folder")
    if mask_dir is not None and common.same_file(mask_dir, in_dir):
        raise CliError("--masks must be another folder than --batch (masks and photos share file names)")
    out_dir = Path(args.output)
    out_found = common.probe(out_dir, "-o")
    if out_found is not None and not common.is_folder(out_dir, "-o"):
        raise CliError(f"-o {out_dir}: with --batch the output must be a folder")
    for other, what in ((in_dir, "--batch"), (mask_dir, "--masks")):
        if other is not None and common.same_file(out_dir, other):
            raise CliError(f"-o {out_dir} is the {what} folder; write the results to another folder")
    sources = _image_files(in_dir)
    if not sources:
        raise CliError(f"no images in {in_dir} (looked for {', '.join(IMAGE_EXTENSIONS)})")
    common.check_options(args)
    if out_found is None:
        if not common.is_folder(out_dir.parent, "-o"):
            raise CliError(f"-o {out_dir}: its parent folder {out_dir.parent} does not exist")
        try:
            out_dir.mkdir()
        except OSError as exc:
            raise CliError(f"-o {out_dir}: cannot create it ({exc.strerror})") from None

    from .. import inpaint

    failures: list[tuple[str, str]] = []
    written: dict[str, str] = {}  # output name -> the input it came from
    frames_root = Path(args.save_progress) if args.save_progress else None
    for i, source in enumerate(sources, 1):
        try:
            target = _batch_output(out_dir, source)
            if target.name in written:
                raise CliError(f"its result {target.name} would replace the one of {written[target.name]}; "
                               "rename one of them")
            mask_path = _find_mask(mask_dir, source.stem) if mask_dir is not None else None
            image = common.read_image(source)
            mask = _mask_for(image.pixels, mask_path, source)
            common.check_result(args, target, image, label=f"{source.name}: ")
            frames = None
            if frames_root is not None:
                frames_root.mkdir(exist_ok=True)
                frames = frames_root / source.stem
            result = common.run_engine(inpaint, image.pixels, mask, args=args, frames_dir=frames,
                                       label=f"[{i}/{len(sources)}] {source.name}",
                                       postprocess=_opaque_holes(mask) if args.mask_from_alpha else None)
            common.write_image(target, result, like=image)
            written[target.name] = source.name
        except CliError as exc:
            failures.append((source.name, str(exc)))
            if not args.quiet:
                print(f"dip: skipped {source.name}: {exc}", file=sys.stderr)
    done = len(sources) - len(failures)
    if failures:
        print(common.describe_failures(failures, len(sources)), file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"dip: filled {done} image{'s' if done != 1 else ''} into {out_dir}", file=sys.stderr)
    return 0
