#!/usr/bin/env bash
# Show the INTERACTIVE path for real and take the screenshot in docs/images/gimp.png:
# GIMP 3 (GUI, from the chroot that .ci/gimp-setup builds) on an Xvfb screen, a photo with a selection, the
# procedure called INTERACTIVE so the worker opens the Qt panel; the script starts a run in the panel, takes
# the screenshot while the preview updates, presses Apply and checks that GIMP got a "DIP ..." layer.
#
#   tests/gimp/interactive_screenshot.sh [OUTPUT.png]      (root; needs Xvfb and xdotool on the host)
#
# Qt's X11 platform plug-in needs a few xcb libraries that GIMP does not pull in; they are added to the
# chroot here (apt-get, once).  The host's PyQt6 takes the screenshot, so the host needs them too.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=$(realpath -m "${1:-docs/images/gimp.png}")
ROOT=${DIP_GIMP_ROOT:-$HOME/.cache/dip-gimp-trixie}
PY=$(realpath -s .venv/bin/python)
BASE=$("$PY" -c 'import sys; print(sys.base_prefix)')
DISPLAY_NUM=:${DIP_DISPLAY:-99}
QT_XCB="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-shape0 libxcb-util1
        libxcb-xkb1 libxkbcommon-x11-0"

if ! chroot "$ROOT" dpkg -s libxcb-cursor0 >/dev/null 2>&1; then
  unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && chroot "$1" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive sh -c "apt-get install -y --no-install-recommends $2 && apt-get clean"' \
    sh "$ROOT" "$(echo $QT_XCB)" >/dev/null
fi

WORK=$(mktemp -d /tmp/dip-gimp-demo.XXXXXX)
pids=()
kill_tree() {  # a process and everything it started, children first
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
cleanup() {
  touch "$WORK/release"
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    for _ in $(seq 20); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.5; done
    kill_tree "${pids[i]}"
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/home" "$WORK/tmp"
"$PY" -m dip_plugin gimp install --gimp-dir "$WORK/gimpdir" >/dev/null

# A photo with something to remove: a road sign in front of the buildings.
OMP_NUM_THREADS=1 "$PY" - "$WORK/photo.png" <<'EOF'
import sys
import numpy as np
from PIL import Image, ImageDraw
from dip_plugin.synthetic import scene
image = Image.fromarray((scene("street", 448, seed=3) * 255).round().astype(np.uint8))
draw = ImageDraw.Draw(image)
draw.rectangle([250, 200, 256, 330], fill=(70, 70, 74))
draw.ellipse([226, 160, 280, 214], fill=(200, 30, 30), outline=(240, 240, 240), width=4)
image.save(sys.argv[1])
EOF

# Runs inside GIMP: open the photo, select the sign, call the procedure INTERACTIVE, report, wait for "release".
cat > "$WORK/driver.py" <<'EOF'
import json, os, time
import gi
gi.require_version("Gimp", "3.0")
from gi.repository import Gimp, Gio
work = os.environ["DEMO_WORK"]
image = Gimp.file_load(Gimp.RunMode.NONINTERACTIVE, Gio.File.new_for_path(os.path.join(work, "photo.png")))
Gimp.Display.new(image)
image.select_ellipse(Gimp.ChannelOps.REPLACE, 220, 154, 66, 66)
image.select_rectangle(Gimp.ChannelOps.ADD, 245, 200, 17, 136)
Gimp.displays_flush()
proc = Gimp.get_pdb().lookup_procedure("python-fu-dip-inpaint")
config = proc.create_config()
config.set_property("run-mode", Gimp.RunMode.INTERACTIVE)
config.set_property("image", image)
config.set_core_object_array("drawables", [image.get_layers()[0]])
config.set_property("preset", "fast")
config.set_property("iterations", 300)
result = proc.run(config)
json.dump({"status": result.index(0).value_nick, "layers": [layer.get_name() for layer in image.get_layers()]},
          open(os.path.join(work, "status.json"), "w"))
for _ in range(120):
    if os.path.exists(os.path.join(work, "release")):
        break
    time.sleep(0.5)
image.clean_all()
EOF

cat > "$WORK/grab.py" <<'EOF'
import sys
from PyQt6.QtWidgets import QApplication
app = QApplication(sys.argv)
sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)
EOF
grab() { DISPLAY=$DISPLAY_NUM QT_QPA_PLATFORM=xcb "$PY" "$WORK/grab.py" "$1"; }
window() {  # wait for a window whose title matches $1; print its id
  local id
  for _ in $(seq 240); do
    id=$(DISPLAY=$DISPLAY_NUM xdotool search --onlyvisible --name "$1" 2>/dev/null | head -n 1) || true
    if [ -n "$id" ]; then echo "$id"; return; fi
    sleep 0.5
  done
  echo "no window '$1' appeared" >&2
  return 1
}
x() { DISPLAY=$DISPLAY_NUM xdotool "$@"; }

Xvfb "$DISPLAY_NUM" -screen 0 1920x1080x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
pids+=($!)
sleep 2
tests/gimp/chroot-run.sh "$ROOT" "ro:$(dirname "$(dirname "$PY")")" "ro:$BASE" "ro:$PWD" "rw:$WORK" rw:/tmp/.X11-unix -- \
  timeout -k 10 600 env -i HOME="$WORK/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 DISPLAY="$DISPLAY_NUM" \
  GIMP3_DIRECTORY="$WORK/gimpdir" TMPDIR="$WORK/tmp" DEMO_WORK="$WORK" OMP_NUM_THREADS=1 \
  gimp-3.0 --no-splash --batch-interpreter=python-fu-eval \
  -b "exec(compile(open('$WORK/driver.py').read(), 'driver.py', 'exec'))" --quit >"$WORK/gimp.log" 2>&1 &
pids+=($!)

gimp_window=$(window ' – GIMP$')
welcome=$(DISPLAY=$DISPLAY_NUM xdotool search --onlyvisible --name '^Welcome to GIMP' 2>/dev/null | head -n 1) || true
[ -z "$welcome" ] || x windowunmap "$welcome"
x windowmove "$gimp_window" 0 0 windowsize "$gimp_window" 900 1080
panel=$(window '^Deep Image Prior')
x windowmove "$panel" 900 120 windowsize "$panel" 1020 760
sleep 1
x windowfocus "$gimp_window" key --clearmodifiers shift+ctrl+j   # View ▸ Zoom ▸ Fit Image in Window
sleep 1
x windowfocus "$panel" key --clearmodifiers ctrl+r                # Run
sleep "${DIP_DEMO_SECONDS:-75}"
mkdir -p "$(dirname "$OUT")"
grab "$OUT"
echo "screenshot: $OUT"

# Stop (Esc keeps the best result so far), then Apply: the bottom-right button of the panel.
x windowfocus "$panel" key Escape
sleep 3
eval "$(x getwindowgeometry --shell "$panel")"
x mousemove $((X + WIDTH - 48)) $((Y + HEIGHT - 21)) click 1
for _ in $(seq 120); do [ -f "$WORK/status.json" ] && break; sleep 0.5; done
cat "$WORK/status.json" && echo
[ -z "${DIP_DEMO_AFTER:-}" ] || { sleep 2; grab "$DIP_DEMO_AFTER"; echo "after Apply: $DIP_DEMO_AFTER"; }
touch "$WORK/release"
wait "${pids[1]}" || true
grep -q '"status": "success"' "$WORK/status.json" && grep -q '"DIP ' "$WORK/status.json"
