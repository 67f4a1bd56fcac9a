"""The seccomp filter of a submission's kernel: system calls a notebook never needs are refused.

bubblewrap loads it (``--seccomp FD``) just before it starts the kernel, and it holds for
every process the kernel starts. A notebook trains models, reads and writes files and starts
processes and threads; it never mounts, makes namespaces (a user namespace would give it a
root of its own to rearrange its view of the filesystem), loads kernel modules or BPF
programs, traces other processes, reads the kernel log or sets the clock. Those calls fail
with EPERM; ``clone3`` fails with ENOSYS, so that the C library falls back to ``clone``,
whose flags the filter can read, and a ``clone`` asking for a new namespace fails with EPERM.
Calls of another ABI than x86-64 (32-bit, x32), which would dodge the numbers below, fail too.

The filter is a classic BPF program, assembled here (as Docker's and Flatpak's are, in C).
On other processors no filter is made (``program()`` returns None) and the sandbox says so.
"""
import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
# the fields of struct seccomp_data
NR, ARCH, ARG0 = 0, 4, 16
# classic BPF instructions
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW = 0x7FFF0000


def errno_of(code):
    return 0x00050000 | code


REFUSED = {  # x86-64 system call numbers
    "ptrace": 101, "syslog": 103, "vhangup": 153, "pivot_root": 155,
    "adjtimex": 159, "chroot": 161, "acct": 163, "settimeofday": 164, "mount": 165,
    "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169, "iopl": 172, "ioperm": 173,
    "init_module": 175, "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212,
    "clock_settime": 227, "kexec_load": 246, "add_key": 248, "request_key": 249,
    "keyctl": 250, "unshare": 272, "perf_event_open": 298, "fanotify_init": 300,
    "name_to_handle_at": 303, "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308,
    "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442,
}
CLONE, CLONE3 = 56, 435
NEW_NAMESPACES = (0x00000080 | 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000
                  | 0x20000000 | 0x40000000)  # CLONE_NEWTIME, NS, CGROUP, UTS, IPC, USER, PID, NET


def _assemble(lines):
    """Classic BPF from (code, k, true_label, false_label) and "label:" lines, as bytes."""
    positions, index = {}, 0
    for line in lines:
        if isinstance(line, str):
            positions[line.rstrip(":")] = index
        else:
            index += 1
    out, index = [], 0
    for line in lines:
        if isinstance(line, str):
            continue
        code, k, on_true, on_false = line
        jt = positions[on_true] - index - 1 if on_true else 0
        jf = positions[on_false] - index - 1 if on_false else 0
        out.append(struct.pack("=HBBI", code, jt, jf, k))
        index += 1
    return b"".join(out)


def program():
    """The filter as bytes for bubblewrap's --seccomp, or None on another processor."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    lines = [(LD_ABS, ARCH, None, None), (JEQ, AUDIT_ARCH_X86_64, "native", "refuse"), "native:",
             (LD_ABS, NR, None, None), (JGE, X32_SYSCALL_BIT, "refuse", None),
             (JEQ, CLONE3, "no_clone3", None), (JEQ, CLONE, "clone", None)]
    lines += [(JEQ, number, "refuse", None) for number in sorted(REFUSED.values())]
    lines += [(RET, ALLOW, None, None),
              "clone:", (LD_ABS, ARG0, None, None), (JSET, NEW_NAMESPACES, "refuse", None),
              (RET, ALLOW, None, None),
              "no_clone3:", (RET, errno_of(errno.ENOSYS), None, None),
              "refuse:", (RET, errno_of(errno.EPERM), None, None)]
    return _assemble(lines)
