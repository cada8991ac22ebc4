// Boots the real-IPVS VM: a Debian kernel under qemu (TCG; this machine has no /dev/kvm)
// whose root is the host's own / shared read-only over 9p with a tmpfs on top, so the
// host's node, ipvsadm, ip, nft, curl and ldirectord run unchanged in the guest, at the
// same paths. scripts/install-vm.sh prepares the kernel and initramfs it boots.
//
// A second, writable 9p share (a host temp dir, /ldvm in the guest) carries the command
// in (stage2.sh) and its exit status and any result files out; the serial console
// carries the command's output live.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const CACHE = process.env.LDIRECTOR_VM_CACHE || "/var/cache/ldirector-vm";
const INSTALL = "scripts/install-vm.sh";
const READY = "LDVM-READY";
// eslint-disable-next-line no-control-regex -- the firmware's terminal escapes are exactly what this drops
const TERMINAL = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc|\r/g;

/** The cached kernel (vmlinuz, initrd.gz, root/lib/modules), or an error saying how to get it. */
export function vmKernel() {
  const qemu = spawnSync("qemu-system-x86_64", ["--version"], { encoding: "utf8" });
  if (qemu.error || qemu.status !== 0) {
    throw new Error(`qemu-system-x86_64 is not installed: run ${INSTALL} (as root) first`);
  }
  const current = join(CACHE, "current");
  if (!existsSync(join(current, "ready"))) {
    throw new Error(`no VM kernel cached in ${CACHE}: run ${INSTALL} (as root) first`);
  }
  const dir = realpathSync(current);
  return { dir, version: readFileSync(join(dir, "ready"), "utf8").trim() };
}

const quote = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;

function stage2({ version, dir }, argv, cwd, env) {
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    "# Stage 2 (in the host tree, in the guest): the usual mounts, the kernel's modules where",
    "# modprobe looks for them, then the command. Nothing is mounted over /tmp: the repo may be there.",
    "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev",
    "mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm",
    "mount -t tmpfs tmpfs /run; mkdir -p /run/netns /run/lock",
    `mkdir -p /lib/modules/${version}`,
    `mount --bind ${quote(join(dir, "root/lib/modules", version))} /lib/modules/${version}`,
    "echo /modprobe >/proc/sys/kernel/modprobe",
    "ip link set lo up",
    "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LDVM_SHARE=/ldvm",
    ...exports,
    `echo ${READY}`,
    `cd ${quote(cwd)} || { echo 'ldvm: no such directory in the guest: ${cwd}'; echo 126 >/ldvm/rc; exit 126; }`,
    `${argv.map(quote).join(" ")} </dev/null`,
    "echo $? >/ldvm/rc",
    "",
  ].join("\n");
}

/**
 * Boots the VM, runs argv in it (as root, in cwd), and powers it off.
 * Resolves with { status, bootMs, totalMs, output, share }: status is the command's exit
 * status, or null with `error` when the VM never got that far. `share` is the host dir
 * the guest saw as /ldvm; the caller removes it (keepShare) or it is removed here.
 */
export function bootVm({
  argv,
  cwd = process.cwd(),
  env = {},
  timeoutMs = 15 * 60_000,
  memoryMb = 1536,
  onLine = () => {},
  keepShare = false,
  files = {},
}) {
  const kernel = vmKernel();
  const share = mkdtempSync(join(tmpdir(), "ldvm-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(share, name), text);
  const passed = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("LDVM_")));
  writeFileSync(join(share, "stage2.sh"), stage2(kernel, argv, cwd, { ...passed, ...env }));
  const started = Date.now();
  const qemu = spawn(
    "qemu-system-x86_64",
    [
      ...["-accel", "tcg,thread=multi", "-smp", "2", "-m", String(memoryMb)],
      ...["-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-nic", "none"],
      ...["-kernel", join(kernel.dir, "vmlinuz"), "-initrd", join(kernel.dir, "initrd.gz")],
      ...["-append", "console=ttyS0 quiet panic=-1"],
      ...["-virtfs", "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"],
      ...["-virtfs", `local,path=${share},mount_tag=ldvm,security_model=none`],
    ],
    // Its own process group, so a time-out kills qemu and nothing else.
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const killQemu = () => {
    try {
      process.kill(-qemu.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killQemu);
  let bootMs;
  let output = "";
  let partial = "";
  const onData = (chunk) => {
    // The console speaks terminal: drop escape sequences and carriage returns.
    partial += chunk.toString("utf8").replace(TERMINAL, "");
    for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (bootMs === undefined && line.includes(READY)) {
        bootMs = Date.now() - started;
        continue;
      }
      // The kernel's own farewell is not the command's output.
      if (/^\[ *\d+\.\d+\] reboot: Power down$/.test(line)) continue;
      output += `${line}\n`;
      onLine(line);
    }
  };
  qemu.stdout.on("data", onData);
  qemu.stderr.on("data", onData);
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killQemu();
    }, timeoutMs);
    const done = (error) => {
      clearTimeout(timer);
      if (partial) onData("\n");
      process.removeListener("exit", killQemu);
      const rcFile = join(share, "rc");
      const status = existsSync(rcFile) ? Number(readFileSync(rcFile, "utf8").trim()) : null;
      if (!keepShare) rmSync(share, { recursive: true, force: true });
      const why =
        error ??
        (timedOut ? `the VM did not finish within ${timeoutMs / 1000} s` : undefined) ??
        (status === null
          ? `the VM stopped before the command finished${bootMs === undefined ? " (it never booted)" : ""}`
          : undefined);
      resolve({
        status,
        bootMs,
        totalMs: Date.now() - started,
        output,
        share,
        ...(why ? { error: why } : {}),
      });
    };
    qemu.once("error", (e) => done(`qemu: ${e.message}`));
    qemu.once("exit", () => done());
  });
}
