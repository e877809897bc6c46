#!/usr/bin/env python3
"""GIMP 3 plug-in: Filters ▸ Enhance ▸ Deep Image Prior Inpaint… (procedure ``python-fu-dip-inpaint``).

Installed by ``dip gimp install``.  It runs in GIMP's own Python, which has neither numpy nor torch, so it
only moves pixels: it writes the active layer (at the image's precision) and the selection into a private
temporary folder, starts ``python -m dip_plugin.gimp_bridge.worker`` with the Python recorded in
``dip-inpaint.json`` next to this file, turns the worker's progress lines into GIMP's progress bar, and inserts
the result as a new layer "DIP <name>" directly above the source layer, as one undo step.  The job format is
described in ``dip_plugin/gimp_bridge/worker.py``.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, GLib, GObject  # noqa: E402

PROCEDURE = "python-fu-dip-inpaint"
CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dip-inpaint.json")
EXIT_CANCELLED = 3  # the worker's status when the panel was cancelled
# The babl colour model for each transfer curve of Gimp.Precision ("u16-non-linear" -> "non-linear").
MODELS = {"linear": ("RGB", "Y"), "non-linear": ("R'G'B'", "Y'"), "perceptual": ("R~G~B~", "Y~")}
BYTES = {"u8": 1, "u16": 2, "u32": 4, "half": 2, "float": 4, "double": 8}
SCRUBBED = ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONEXECUTABLE", "__PYVENV_LAUNCHER__")


class Failure(Exception):
    """A failure with a message for the user and the status GIMP gets."""

    def __init__(self, message, status=Gimp.PDBStatusType.EXECUTION_ERROR):
        super().__init__(message)
        self.status = status


def layer_format(image, layer):
    """The babl format that reads ``layer`` without conversion, its sample type and channel count."""
    sample, _, curve = image.get_precision().value_nick.partition("-")
    rgb, gray = MODELS[curve]
    model = rgb if layer.is_rgb() else gray
    alpha = "A" if layer.has_alpha() else ""
    channels = (3 if layer.is_rgb() else 1) + len(alpha)
    return f"{model}{alpha} {sample}", sample, channels


def source_layer(drawables):
    if len(drawables) != 1:
        raise Failure("Select exactly one layer.", Gimp.PDBStatusType.CALLING_ERROR)
    layer = drawables[0]
    if not layer.is_layer() or layer.is_group():
        raise Failure("Select a normal layer (not a layer group, a mask or a channel).",
                      Gimp.PDBStatusType.CALLING_ERROR)
    return layer


def worker_python():
    try:
        with open(CONFIG, encoding="utf-8") as f:
            python = json.load(f)["python"]
    except (OSError, ValueError, KeyError) as exc:
        raise Failure(f"The plug-in is not set up ({CONFIG}: {exc}). Run `dip gimp install` with the "
                      "Python where dip_plugin is installed.") from None
    if not os.path.isfile(python):
        raise Failure(f"The Python recorded by `dip gimp install` no longer exists: {python}. "
                      "Run `dip gimp install` again.")
    return python


def run_worker(python, folder, interactive):
    """Run the worker on ``folder``; return True when it wrote a result, False when it was cancelled."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    log_path = os.path.join(folder, "worker.log")
    with open(log_path, "w+", encoding="utf-8", errors="replace") as log:
        try:
            proc = subprocess.Popen(
                [python, "-m", "dip_plugin.gimp_bridge.worker", folder, "--watch-stdin"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=folder, env=env, text=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
        except OSError as exc:
            raise Failure(f"Cannot start the worker {python}: {exc}") from None
        try:
            if interactive:
                Gimp.progress_set_text("Deep Image Prior: working in the panel…")
                Gimp.progress_pulse()
            for line in iter(proc.stdout.readline, ""):
                words = line.split()
                if len(words) == 3 and words[0] == "progress" and words[1].isdigit() and words[2].isdigit():
                    Gimp.progress_update(min(1.0, int(words[1]) / max(1, int(words[2]))))
            status = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdin.close()
            proc.stdout.close()
        if status == 0:
            return True
        if status == EXIT_CANCELLED:
            return False
        log.seek(0)
        lines = [line.strip() for line in log if line.strip()]
    sys.stderr.write("".join(f"dip-inpaint worker: {line}\n" for line in lines))
    reason = lines[-1] if lines else f"the worker exited with status {status}"
    if status < 0:
        reason = f"the worker was killed by signal {-status}" + (" (out of memory?)" if status == -9 else "")
        reason += f"; last message: {lines[-1]}" if lines else ""
    elif "No module named" in reason:
        reason += f" ({python} lacks dip_plugin or its dependencies; run `dip gimp install` with the right Python)"
    raise Failure(f"Deep Image Prior failed: {reason}")


def inpaint_layer(image, layer, config, interactive):
    if Gimp.Selection.is_empty(image):
        raise Failure("Nothing is selected: select the area to fill (the hole) first.")
    fmt, sample, channels = layer_format(image, layer)
    width, height = layer.get_width(), layer.get_height()
    _, x, y = layer.get_offsets()
    rect = Gegl.Rectangle.new(0, 0, width, height)
    # The selection is an image-sized channel; reading it at the layer's position gives 0 outside the image.
    mask = image.get_selection().get_buffer().get(Gegl.Rectangle.new(x, y, width, height), 1.0, "Y float",
                                                  Gegl.AbyssPolicy.NONE)
    if mask.count(0) == len(mask):
        raise Failure("The selection does not touch the active layer: select the area to fill on that layer.")
    pixels = layer.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.CLAMP)
    job = {"protocol": 1, "width": width, "height": height, "channels": channels, "dtype": sample,
           "preset": config.get_property("preset"), "iterations": config.get_property("iterations"),
           "seed": config.get_property("seed"), "interactive": interactive,
           "title": f"Deep Image Prior — {layer.get_name()}"}
    python = worker_python()
    folder = tempfile.mkdtemp(prefix="dip-gimp-")  # readable by this user only
    try:
        with open(os.path.join(folder, "job.json"), "w", encoding="utf-8") as f:
            json.dump(job, f)
        for name, data in (("image.raw", pixels), ("mask.raw", mask)):
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        del pixels, mask
        Gimp.progress_init("Deep Image Prior: filling the selection")
        if not run_worker(python, folder, interactive):
            return False
        with open(os.path.join(folder, "result.raw"), "rb") as f:
            result = f.read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if len(result) != width * height * channels * BYTES[sample]:
        raise Failure(f"Deep Image Prior failed: the result has {len(result)} bytes, not the layer's size.")

    image.undo_group_start()
    try:
        new = Gimp.Layer.new(image, f"DIP {layer.get_name()}", width, height, layer.type(), layer.get_opacity(),
                             layer.get_mode())
        image.insert_layer(new, layer.get_parent(), image.get_item_position(layer))
        new.set_offsets(x, y)
        buffer = new.get_buffer()
        buffer.set(rect, fmt, result)
        buffer.flush()
        new.update(0, 0, width, height)
    finally:
        image.undo_group_end()
    Gimp.progress_end()
    return True


def run(procedure, run_mode, image, drawables, config, data):
    try:
        layer = source_layer(drawables)
        done = inpaint_layer(image, layer, config, run_mode == Gimp.RunMode.INTERACTIVE)
    except Failure as exc:
        return procedure.new_return_values(exc.status, GLib.Error(str(exc)))
    if not done:
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    Gimp.displays_flush()
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


class DipInpaint(Gimp.PlugIn):
    def do_set_i18n(self, name):
        return False

    def do_query_procedures(self):
        return [PROCEDURE]

    def do_create_procedure(self, name):
        procedure = Gimp.ImageProcedure.new(self, name, Gimp.PDBProcType.PLUGIN, run, None)
        procedure.set_image_types("RGB*, GRAY*")
        procedure.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE)
        procedure.set_menu_label("Deep Image Prior _Inpaint…")
        procedure.add_menu_path("<Image>/Filters/Enhance")
        procedure.set_documentation(
            "Fill the selection with Deep Image Prior",
            "Fills the selected area of the active layer from its surroundings (Deep Image Prior, Ulyanov et "
            "al. 2018) and adds the result as a new layer above it. Interactively, a panel with a live preview "
            "opens; Apply adds the layer, Cancel changes nothing.",
            name)
        procedure.set_attribution("dip_plugin", "dip_plugin authors", "2025")
        flags = GObject.ParamFlags.READWRITE
        procedure.add_string_argument("preset", "Preset", "fast, balanced, quality or paper", "balanced", flags)
        procedure.add_int_argument("iterations", "Iterations", "Optimisation steps; 0 = the preset's default",
                                   0, 1_000_000, 0, flags)
        procedure.add_int_argument("seed", "Seed", "Random seed (same seed, same result)", 0, 2**31 - 1, 0, flags)
        return procedure


Gimp.main(DipInpaint.__gtype__, sys.argv)
