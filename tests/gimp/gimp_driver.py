"""Runs inside GIMP 3 (``gimp-console-3.0 --batch-interpreter=python-fu-eval``): builds test images, calls
``python-fu-dip-inpaint`` NONINTERACTIVE on each and writes what happened for ``test_gimp_e2e.py`` to check.

GIMP's Python has no numpy, so this only records: for each case ``CASE.json`` (status, message, the layer tree
before and after, the new layer's place and geometry) and raw buffers (``CASE.source.raw`` before,
``CASE.source_after.raw``, ``CASE.result.raw`` and ``CASE.mask.raw``, the selection over the layer as float32),
then ``report.json``.  The plan (``DIP_GIMP_PLAN``, JSON) names the output folder and the plug-in's config file.
"""

import ast
import json
import os
import struct
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp  # noqa: E402

PROC = "python-fu-dip-inpaint"
plan = json.load(open(os.environ["DIP_GIMP_PLAN"]))
out = plan["out"]
pdb = Gimp.get_pdb()

SAMPLE = {"u8": ("B", 255), "u16": ("H", 65535), "float": ("f", 1.0)}


def pattern(width, height, channels, sample, alpha_zero=False):
    """Deterministic, textured pixels; for u16 most values are not multiples of 257 (not 8-bit in disguise)."""
    code, top = SAMPLE[sample]
    values = []
    for y in range(height):
        for x in range(width):
            for c in range(channels):
                if channels in (2, 4) and c == channels - 1:  # alpha: a ramp, with some fully clear pixels
                    a = 0.0 if alpha_zero and x < 3 else 0.25 + 0.75 * x / max(1, width - 1)
                    values.append(a if sample == "float" else int(a * top))
                    continue
                v = (0.5 + 0.3 * ((x * 7 + y * 3 + c * 11) % 17) / 16 + 0.15 * ((x // 4 + y // 4) % 2)) % 1.0
                values.append(v if sample == "float" else min(top, int(v * top + (x * 13 + y * 5 + c) % 97)))
    return struct.pack(f"={len(values)}{code}", *values)


def tree(image):
    """Every layer as [name, parent name, position in parent, x, y, width, height], top first."""
    rows = []

    def walk(layers, parent):
        for layer in layers:
            _, x, y = layer.get_offsets()
            rows.append([layer.get_name(), parent, image.get_item_position(layer), x, y, layer.get_width(),
                         layer.get_height()])
            if layer.is_group():
                walk(layer.get_children(), layer.get_name())

    walk(image.get_layers(), None)
    return rows


def read(layer, fmt):
    rect = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return layer.get_buffer().get(rect, 1.0, fmt, Gegl.AbyssPolicy.CLAMP)


def new_image(width, height, base, precision):
    image = Gimp.Image.new(width, height, base)
    if precision is not None:
        image.convert_precision(precision)
    return image


def add_layer(image, name, width, height, kind, parent=None, position=0, offsets=(0, 0), data=None, fmt=None):
    layer = Gimp.Layer.new(image, name, width, height, kind, 100, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, parent, position)
    layer.set_offsets(*offsets)
    if data is not None:
        buffer = layer.get_buffer()
        buffer.set(Gegl.Rectangle.new(0, 0, width, height), fmt, data)
        buffer.flush()
    return layer


def run_case(name, image, source, fmt, config_python=None):
    """Call the procedure on ``source`` and record everything about it."""
    record = {"format": fmt, "width": source.get_width(), "height": source.get_height(),
              "source_name": source.get_name(), "tree_before": tree(image)}
    _, x, y = source.get_offsets()
    mask = image.get_selection().get_buffer().get(
        Gegl.Rectangle.new(x, y, source.get_width(), source.get_height()), 1.0, "Y float", Gegl.AbyssPolicy.NONE)
    before = read(source, fmt)
    saved = None
    if config_python is not None:  # point the plug-in at another worker Python for this call
        saved = open(plan["config"]).read()
        json.dump({"python": config_python}, open(plan["config"], "w"))
    try:
        proc = pdb.lookup_procedure(PROC)
        config = proc.create_config()
        config.set_property("run-mode", Gimp.RunMode.NONINTERACTIVE)
        config.set_property("image", image)
        config.set_core_object_array("drawables", [source])
        config.set_property("preset", plan["preset"])
        config.set_property("iterations", plan["iterations"])
        config.set_property("seed", 0)
        start = time.time()
        result = proc.run(config)
        record["seconds"] = round(time.time() - start, 2)
    finally:
        if saved is not None:
            open(plan["config"], "w").write(saved)
    record["status"] = result.index(0).value_nick
    record["message"] = result.index(1) if result.length() > 1 else None
    record["tree_after"] = tree(image)
    open(os.path.join(out, f"{name}.source.raw"), "wb").write(before)
    open(os.path.join(out, f"{name}.source_after.raw"), "wb").write(read(source, fmt))
    open(os.path.join(out, f"{name}.mask.raw"), "wb").write(mask)
    parent = source.get_parent()
    siblings = parent.get_children() if parent is not None else image.get_layers()
    position = image.get_item_position(source)
    record["source_position"] = position
    above = siblings[position - 1] if position > 0 else None
    if above is not None and above.get_name().startswith("DIP"):
        _, ax, ay = above.get_offsets()
        record["new"] = {"name": above.get_name(), "parent": parent.get_name() if parent else None,
                         "position": image.get_item_position(above), "x": ax, "y": ay,
                         "width": above.get_width(), "height": above.get_height(),
                         "type": above.type().value_nick, "source_type": source.type().value_nick}
        open(os.path.join(out, f"{name}.result.raw"), "wb").write(read(above, fmt))
    json.dump(record, open(os.path.join(out, f"{name}.json"), "w"), indent=1)


def case_offsets():
    """RGB 8-bit layer smaller than the image, with offsets; the selection runs past its right edge."""
    image = new_image(64, 48, Gimp.ImageBaseType.RGB, None)
    add_layer(image, "Background", 64, 48, Gimp.ImageType.RGB_IMAGE)
    fmt = "R'G'B' u8"
    source = add_layer(image, "Source", 40, 32, Gimp.ImageType.RGB_IMAGE, offsets=(12, 8),
                       data=pattern(40, 32, 3, "u8"), fmt=fmt)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 36, 14, 28, 12)
    return image, source, fmt


def case_group():
    """The source layer sits in the middle of a layer group."""
    image = new_image(48, 40, Gimp.ImageBaseType.RGB, None)
    add_layer(image, "Background", 48, 40, Gimp.ImageType.RGB_IMAGE)
    group = Gimp.GroupLayer.new(image, "Group")
    image.insert_layer(group, None, 0)
    fmt = "R'G'B' u8"
    add_layer(image, "Below", 48, 40, Gimp.ImageType.RGBA_IMAGE, parent=group, position=0)
    source = add_layer(image, "Source", 36, 30, Gimp.ImageType.RGB_IMAGE, parent=group, position=0,
                       offsets=(6, 4), data=pattern(36, 30, 3, "u8"), fmt=fmt)
    add_layer(image, "Above", 48, 40, Gimp.ImageType.RGBA_IMAGE, parent=group, position=0)
    add_layer(image, "Top", 48, 40, Gimp.ImageType.RGBA_IMAGE)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 18, 14, 10, 8)
    return image, source, fmt


def case_rgba():
    """RGBA 8-bit layer with an alpha ramp and fully transparent (coloured) pixels outside the selection."""
    image = new_image(40, 32, Gimp.ImageBaseType.RGB, None)
    fmt = "R'G'B'A u8"
    source = add_layer(image, "Source", 40, 32, Gimp.ImageType.RGBA_IMAGE, data=pattern(40, 32, 4, "u8", True),
                       fmt=fmt)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 14, 10, 12, 10)
    return image, source, fmt


def case_u16():
    """16-bit RGB with values that are not 8-bit values scaled by 257."""
    image = new_image(40, 32, Gimp.ImageBaseType.RGB, Gimp.Precision.U16_NON_LINEAR)
    fmt = "R'G'B' u16"
    source = add_layer(image, "Source", 40, 32, Gimp.ImageType.RGB_IMAGE, data=pattern(40, 32, 3, "u16"),
                       fmt=fmt)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 12, 10, 14, 10)
    return image, source, fmt


def case_gray_float_feather():
    """Grayscale, 32-bit float linear, feathered selection (a soft blend at its edge)."""
    image = new_image(40, 32, Gimp.ImageBaseType.GRAY, Gimp.Precision.FLOAT_LINEAR)
    fmt = "Y float"
    source = add_layer(image, "Source", 40, 32, Gimp.ImageType.GRAY_IMAGE, data=pattern(40, 32, 1, "float"),
                       fmt=fmt)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 8, 6, 24, 20)
    Gimp.Selection.feather(image, 4.0)
    return image, source, fmt


def case_empty():
    image, source, fmt = case_rgba()
    Gimp.Selection.none(image)
    return image, source, fmt


def case_outside():
    """A selection that does not touch the (offset) layer."""
    image, source, fmt = case_offsets()
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, 8, 6)
    return image, source, fmt


CASES = {
    "offsets": (case_offsets, None),
    "group": (case_group, None),
    "rgba": (case_rgba, None),
    "u16": (case_u16, None),
    "gray_float_feather": (case_gray_float_feather, None),
    "empty": (case_empty, None),
    "outside": (case_outside, None),
}
for failing, python in plan["failing_pythons"].items():
    CASES[failing] = (case_rgba, python)

def formats():
    """Every precision × layer type: the plug-in's own ``layer_format`` (taken from the installed file) must
    name a babl format that reads the layer at its size and writes back the same bytes."""
    source = ast.parse(open(plan["plugin"]).read())
    wanted = [n for n in source.body if getattr(n, "name", None) == "layer_format"
              or (isinstance(n, ast.Assign) and n.targets[0].id in ("MODELS", "BYTES"))]
    scope = {"Gimp": Gimp}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), plan["plugin"], "exec"), scope)
    results = {}
    kinds = {"RGB": (Gimp.ImageBaseType.RGB, Gimp.ImageType.RGB_IMAGE),
             "RGBA": (Gimp.ImageBaseType.RGB, Gimp.ImageType.RGBA_IMAGE),
             "GRAY": (Gimp.ImageBaseType.GRAY, Gimp.ImageType.GRAY_IMAGE),
             "GRAYA": (Gimp.ImageBaseType.GRAY, Gimp.ImageType.GRAYA_IMAGE)}
    for precision in Gimp.Precision.__enum_values__.values():
        for kind, (base, layer_type) in kinds.items():
            image = new_image(6, 4, base, precision)
            try:
                layer = add_layer(image, "L", 6, 4, layer_type)
                fmt, sample, channels = scope["layer_format"](image, layer)
                data = read(layer, fmt)
                size = 6 * 4 * channels * scope["BYTES"][sample]
                payload = bytes((i * 37) % 251 for i in range(size))
                if sample in ("half", "float", "double"):  # keep floats finite: repeat the bytes of 0.5
                    payload = {"half": b"\x00\x38", "float": b"\x00\x00\x00\x3f",
                               "double": b"\x00" * 6 + b"\xe0\x3f"}[sample] * (size // scope["BYTES"][sample])
                buffer = layer.get_buffer()
                buffer.set(Gegl.Rectangle.new(0, 0, 6, 4), fmt, payload)
                buffer.flush()
                results[f"{precision.value_nick}/{kind}"] = {
                    "format": fmt, "size_ok": len(data) == size, "roundtrip": read(layer, fmt) == payload}
            except Exception as exc:
                results[f"{precision.value_nick}/{kind}"] = {"error": repr(exc)}
            finally:
                image.delete()
    return results


report = {"gimp": Gimp.version(), "registered": pdb.procedure_exists(PROC), "cases": {}, "errors": {}}
if report["registered"]:
    args = pdb.lookup_procedure(PROC).get_arguments()
    report["arguments"] = [a.name for a in args]
    for name, (build, python) in CASES.items():
        image = None
        try:
            image, source, fmt = build()
            run_case(name, image, source, fmt, python)
            report["cases"][name] = f"{name}.json"
        except Exception:
            report["errors"][name] = traceback.format_exc()
        finally:
            if image is not None:
                image.delete()
report["formats"] = formats()
report["leftovers"] = sorted(n for n in os.listdir(plan["tmpdir"]) if n.startswith("dip-gimp-"))
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=1)
