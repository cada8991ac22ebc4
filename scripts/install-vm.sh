#!/usr/bin/env bash
# Prepares the VM that runs the test suite's real-IPVS part (test/vm/): this machine's
# kernel has no IPVS and there is no /dev/kvm, so a Debian kernel boots under qemu (TCG)
# with the host's / shared read-only over 9p. Installs qemu and busybox from apt, unpacks
# the kernel that linux-image-amd64 depends on (never installs it: it must not become the
# host's kernel), runs depmod, and builds a small initramfs. Idempotent: a finished cache
# is left alone. Prints what it did.
set -euo pipefail
CACHE=${LDIRECTOR_VM_CACHE:-/var/cache/ldirector-vm}

pkgs=(qemu-system-x86 busybox-static kmod cpio)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-vm: apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-vm: packages present (${pkgs[*]})"
fi

# linux-image-amd64 is a metapackage: its dependency names the real kernel package.
kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
if [ -z "$kpkg" ]; then
  apt-get update -qq
  kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
fi
[ -n "$kpkg" ] || { echo "install-vm: cannot resolve linux-image-amd64's kernel package" >&2; exit 1; }
ver=${kpkg#linux-image-}
dir="$CACHE/$ver"

# Bump when the initramfs below changes: a cached kernel then gets a new initramfs.
INITRD_REV=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ -f "$dir/kernel.ok" ]; then
  echo "install-vm: kernel $ver cached in $dir"
else
  rm -rf "$dir"
  mkdir -p "$dir/root"
  echo "install-vm: apt-get download $kpkg"
  (cd "$tmp" && apt-get download -qq "$kpkg")
  dpkg -x "$tmp"/"$kpkg"_*.deb "$dir/root"
  # Debian's kernel package ships modules under /lib; merged-/usr images may put them under /usr/lib.
  mods="$dir/root/lib/modules/$ver"
  [ -d "$mods" ] || { [ -d "$dir/root/usr/lib/modules/$ver" ] && mkdir -p "$dir/root/lib/modules" && mv "$dir/root/usr/lib/modules/$ver" "$mods"; }
  depmod -b "$dir/root" "$ver"
  cp "$dir/root/boot/vmlinuz-$ver" "$dir/vmlinuz"
  touch "$dir/kernel.ok"
  echo "install-vm: kernel $ver unpacked in $dir (vmlinuz, root/lib/modules)"
fi

if [ "$(cat "$dir/initrd.rev" 2>/dev/null)" = "$INITRD_REV" ] && [ -f "$dir/ready" ]; then
  echo "install-vm: initramfs (rev $INITRD_REV) cached in $dir"
else
  rm -f "$dir/ready"

  # The initramfs: busybox and just the modules that mount the host's root (9p over
  # virtio, overlay for a writable layer). modprobe --show-depends lists them in load order
  # and says "builtin" for what the kernel already has.
  init="$tmp/initramfs"
  mkdir -p "$init"/{bin,dev,proc,sys,lower,rw,newroot,ldvm,modules}
  cp /bin/busybox "$init/bin/busybox"
  : >"$init/modules.order"
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$dir/root" -S "$ver" --show-depends "$m" | while read -r kind path _; do
      [ "$kind" = insmod ] || continue
      base=$(basename "$path")
      grep -qx "$base" "$init/modules.order" && continue
      case "$base" in
        *.ko.xz) xz -dc "$path" >"$init/modules/${base%.xz}"; base=${base%.xz} ;;
        *.ko.zst) zstd -qdc "$path" >"$init/modules/${base%.zst}"; base=${base%.zst} ;;
        *) cp "$path" "$init/modules/$base" ;;
      esac
      echo "$base" >>"$init/modules.order"
    done
  done
  echo "install-vm: initramfs modules: $(tr '\n' ' ' <"$init/modules.order")"
  cat >"$init/init" <<'INIT'
#!/bin/busybox sh
# Stage 1 (in the initramfs): mount the host's / read-only over 9p with a tmpfs on top,
# mount the writable "ldvm" share that carries the command in and its status out, then
# chroot into the host tree to run the share's stage2.sh. Whatever happens: power off.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod "/modules/$m" || echo "ldvm: insmod $m failed"; done
opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro,cache=loose" root /lower || echo "ldvm: cannot mount the host root"
mount -t 9p -o "$opts,cache=none" ldvm /ldvm || echo "ldvm: cannot mount the ldvm share"
mount -t tmpfs -o size=75% tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || echo "ldvm: overlay failed"
mkdir -p /newroot/ldvm
mount --bind /ldvm /newroot/ldvm
if [ -f /ldvm/stage2.sh ]; then
  chroot /newroot /bin/sh /ldvm/stage2.sh
  echo "$?" >/ldvm/rc.stage2
else
  echo "ldvm: no stage2.sh in the share"
fi
sync
poweroff -f
INIT
  chmod +x "$init/init"
  # The kernel runs its module loader (request_module: a scheduler ipvsadm names, ipip)
  # in init's root, which stays the initramfs: hand the request to modprobe in the host tree.
  printf '#!/bin/busybox sh\nexec /bin/busybox chroot /newroot /usr/sbin/modprobe "$@"\n' >"$init/modprobe"
  chmod +x "$init/modprobe"
  (cd "$init" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz"
  echo "$INITRD_REV" >"$dir/initrd.rev"
  echo "$ver" >"$dir/ready"
  echo "install-vm: initramfs (rev $INITRD_REV) built: $dir/initrd.gz"
fi
ln -sfn "$ver" "$CACHE/current"
echo "install-vm: $CACHE/current -> $ver"
