#!/usr/bin/env bash
# Run a command inside the GIMP 3 chroot (see .ci/gimp-setup), in a private mount namespace.
#
#   chroot-run.sh ROOT [ro:PATH | rw:PATH | host]... -- COMMAND [ARG...]
#
# ro:PATH / rw:PATH  bind the host's PATH at the same path inside ROOT (read-only / writable)
# host               bind the host's whole root file system at /host inside ROOT
# /proc and a private /dev/shm are always mounted.  All mounts live in a private mount namespace, so they
# vanish with this script; the EXIT trap also unmounts them and removes the (empty) mount points it created.
# Needs root.
set -euo pipefail

if [ -z "${DIP_CHROOT_NS:-}" ]; then
  exec env DIP_CHROOT_NS=1 unshare -m --propagation private "$0" "$@"
fi
unset DIP_CHROOT_NS

root=$(realpath "$1")
shift
mounted=()
created=()

cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  for ((i = ${#created[@]} - 1; i >= 0; i--)); do
    find "${created[i]}" -depth -type d -empty -delete 2>/dev/null || true
  done
}
trap cleanup EXIT

mountpoint_for() {  # create the folder $root$1; remember the topmost folder this created
  local top="" d=$root$1
  while [ ! -e "$d" ] && [ ! -L "$d" ]; do top=$d; d=$(dirname "$d"); done
  mkdir -p "$root$1"
  if [ -n "$top" ]; then created+=("$top"); fi
}

bind() {  # bind SOURCE at TARGET-inside-root, read-only when $3 = ro
  [ -d "$1" ] || { echo "chroot-run.sh: not a folder: $1" >&2; exit 2; }
  mountpoint_for "$2"
  mount --bind "$1" "$root$2"
  mounted+=("$root$2")
  if [ "$3" = ro ]; then mount -o remount,bind,ro "$root$2"; fi
}

while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    ro:*) bind "${1#ro:}" "${1#ro:}" ro ;;
    rw:*) bind "${1#rw:}" "${1#rw:}" rw ;;
    host)
      mountpoint_for /host
      mount --rbind / "$root/host"
      mount --make-rprivate "$root/host"
      mounted+=("$root/host")
      ;;
    *) echo "chroot-run.sh: unknown mount spec: $1" >&2; exit 2 ;;
  esac
  shift
done
[ "${1:-}" = "--" ] || { echo "usage: chroot-run.sh ROOT [SPEC]... -- COMMAND [ARG...]" >&2; exit 2; }
shift

mount -t proc proc "$root/proc"
mounted+=("$root/proc")
mountpoint_for /dev/shm
mount -t tmpfs -o size=1g,mode=1777 shm "$root/dev/shm"
mounted+=("$root/dev/shm")

status=0
chroot "$root" "$@" || status=$?
exit "$status"
