#!/bin/sh
# qemu-check.sh - run guest kernels on QEMU and compare with expected/.
#
#   sh emulator/guests/qemu-check.sh [--update] [NAME...]   (from the repo root)
#
# Each guest runs as
#   timeout 60 qemu-system-i386 -kernel emulator/guests/NAME.elf -nographic \
#       -no-reboot -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04
# (-nic none: the reference machine has no network card, as ringside has none.)
# A line "; QEMU options: ARGS" in NAME.asm adds ARGS (e.g. -icount shift=0).
# A line "; Disks: SIZE..." gives the guest fresh disks made by
# tests/helpers/guest-disks.ts, as -drive file=...,format=raw,index=0 and 1.
# QEMU's stdout starts with SeaBIOS/iPXE banners; everything up to and
# including the firmware's "Booting from ROM.." is dropped, the rest is the
# guest's serial output, compared byte for byte with expected/NAME.txt
# (--update rewrites that file). The exit code must equal the one named in
# the "; Expected on QEMU: exit code N" line at the top of NAME.asm.
set -u
dir=emulator/guests
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
if [ $# -eq 0 ]; then
  set -- $(ls $dir/*.asm | sed 's|.*/||; s|\.asm$||')
fi
fail=0
tmp=$(mktemp -d)
for name in "$@"; do
  if [ ! -f $dir/$name.elf ]; then echo "FAIL $name: no $dir/$name.elf"; fail=1; continue; fi
  want_rc=$(sed -n 's/.*Expected on QEMU: exit code \([0-9]*\).*/\1/p' $dir/$name.asm | head -n 1)
  extra=$(sed -n 's/^; QEMU options: \(.*\)$/\1/p' $dir/$name.asm | head -n 1)
  if grep -q '^; Disks: ' $dir/$name.asm; then
    k=0
    for disk in $(node --import tsx tests/helpers/guest-disks.ts $name "$tmp"); do
      extra="$extra -drive file=$disk,format=raw,index=$k"; k=$((k + 1))
    done
  fi
  timeout 60 qemu-system-i386 -kernel $dir/$name.elf -nographic -no-reboot -nic none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 $extra </dev/null >"$tmp/raw" 2>"$tmp/err"
  rc=$?
  # drop the firmware output (it ends with "Booting from ROM..", no newline)
  awk 'BEGIN { RS = "\001"; ORS = "" } {
         i = index($0, "Booting from ROM..");
         if (i > 0) print substr($0, i + 18); else print $0 }' "$tmp/raw" >"$tmp/out"
  if [ $update -eq 1 ]; then cp "$tmp/out" $dir/expected/$name.txt; fi
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL $name: exit code $rc, expected $want_rc"; cat "$tmp/err"; fail=1
  elif ! cmp -s "$tmp/out" $dir/expected/$name.txt; then
    echo "FAIL $name: output differs from $dir/expected/$name.txt"
    diff $dir/expected/$name.txt "$tmp/out" | head -n 20; fail=1
  else
    echo "ok   $name (exit code $rc, $(wc -l <"$tmp/out") lines)"
  fi
done
rm -rf "$tmp"
exit $fail
