"""Credentials as Linux keeps them: capability sets and securebits (commoncap.c, capability.c).

Every privilege check of the kernel asks capable(task, CAP_X) of the caller's
effective set, as Linux does, never "uid == 0": a root guest that dropped a
capability with capset loses exactly that power, and a uid change moves the
sets as capabilities(7) "Effect of user ID changes on capabilities" says.

A guest starts with the capabilities of the process that runs umlskas (its
bounding set and, for root, its permitted and effective sets), so that a guest
and the same program run natively see the same sets. The sets are the guest's
own: raising one in the guest never gives the host process anything.

Also here: what execve makes of the credentials (set-ID files, AT_SECURE,
dumpability), the owner of a new file (fsuid/fsgid, set-group-ID directories),
kill permission, and TSC/CPUID faulting (real, in the guest's host thread).
"""

import errno
import os
import stat as statmod
import struct

from .errors import SyscallError

(CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_KILL,
 CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_LINUX_IMMUTABLE) = range(10)
CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW, CAP_IPC_LOCK, CAP_IPC_OWNER = 10, 12, 13, 14, 15
CAP_SYS_CHROOT, CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_SYS_NICE, CAP_SYS_RESOURCE = 18, 19, 21, 23, 24
CAP_SYS_TIME, CAP_MKNOD, CAP_LEASE, CAP_SETFCAP, CAP_MAC_OVERRIDE = 25, 27, 28, 31, 32


def _last_cap():
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 40


CAP_LAST_CAP = _last_cap()
CAP_VALID_MASK = (1 << (CAP_LAST_CAP + 1)) - 1
# CAP_FS_SET: what an fsuid change away from (back to) 0 drops from (raises in) pE.
CAP_FS_SET = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                  CAP_FOWNER, CAP_FSETID, CAP_MAC_OVERRIDE, CAP_LINUX_IMMUTABLE))

# securebits (include/uapi/linux/securebits.h): each bit, and its lock one above it.
SECURE_NOROOT, SECURE_NO_SETUID_FIXUP, SECURE_KEEP_CAPS, SECURE_NO_CAP_AMBIENT_RAISE = 0, 2, 4, 6
SECURE_EXEC_RESTRICT_FILE, SECURE_EXEC_DENY_INTERACTIVE = 8, 10
SECURE_ALL_BITS = sum(1 << b for b in (SECURE_NOROOT, SECURE_NO_SETUID_FIXUP, SECURE_KEEP_CAPS,
                                       SECURE_NO_CAP_AMBIENT_RAISE, SECURE_EXEC_RESTRICT_FILE,
                                       SECURE_EXEC_DENY_INTERACTIVE))
SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1

VERSION_1, VERSION_2, VERSION_3 = 0x19980330, 0x20071026, 0x20080522

PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE = 1, 2
PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_CLEAR_ALL = 3, 4
CAP_PRCTLS = (PR_CAPBSET_READ, PR_CAPBSET_DROP, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS,
              PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT)

def _host_caps():
    caps = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Cap"):
                    key, _, value = line.partition(":")
                    caps[key] = int(value.strip(), 16)
    except (OSError, ValueError):
        pass
    return caps


def _suid_dumpable():
    try:
        with open("/proc/sys/fs/suid_dumpable") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


HOST_CAPS = _host_caps()
SUID_DUMPABLE = _suid_dumpable()


def init_caps(creds):
    """The sets of a first guest: the kernel process's own (see the module docstring)."""
    creds.cap_inh = HOST_CAPS.get("CapInh", 0)
    creds.cap_prm = HOST_CAPS.get("CapPrm", 0)
    creds.cap_eff = HOST_CAPS.get("CapEff", 0)
    creds.cap_bnd = HOST_CAPS.get("CapBnd", CAP_VALID_MASK)
    creds.cap_amb = HOST_CAPS.get("CapAmb", 0)
    creds.securebits = 0


def capable(task, cap):
    """ns_capable(&init_user_ns, cap): is cap in the caller's effective set?"""
    return bool(task.creds.cap_eff >> cap & 1)


def creds_capable(creds, cap):
    return bool(creds.cap_eff >> cap & 1)


def _issecure(creds, bit):
    return bool(creds.securebits >> bit & 1)


def may_signal(task, target, sig):
    """check_kill_permission: another process needs a matching uid, CAP_KILL, or
    (for SIGCONT) the same session; EPERM otherwise."""
    if target.tgid == task.tgid:
        return True
    c, t = task.creds, target.creds
    if c.euid in (t.suid, t.uid) or c.uid in (t.suid, t.uid) or capable(task, CAP_KILL):
        return True
    return sig == 18 and target.sid == task.sid          # SIGCONT within the session


def check_signal(task, target, sig):
    if not may_signal(task, target, sig):
        raise SyscallError(errno.EPERM)


# ---- uid changes (cap_task_fix_setuid) --------------------------------------------

def snapshot(creds):
    """What commit_creds compares: the ids and sets before a change."""
    return (creds.uid, creds.euid, creds.suid, creds.fsuid, creds.egid, creds.fsgid,
            creds.cap_inh, creds.cap_prm, creds.cap_eff, creds.cap_bnd, creds.cap_amb)


def fix_setuid(creds, old):
    """cap_emulate_setxuid after setuid/setreuid/setresuid, given snapshot() from before."""
    if _issecure(creds, SECURE_NO_SETUID_FIXUP):
        return
    o_uid, o_euid, o_suid = old[0], old[1], old[2]
    if 0 in (o_uid, o_euid, o_suid) and 0 not in (creds.uid, creds.euid, creds.suid):
        if not _issecure(creds, SECURE_KEEP_CAPS):
            creds.cap_prm = 0
            creds.cap_eff = 0
        # Pre-ambient programs expect setresuid to nonroot followed by exec to drop caps.
        creds.cap_amb = 0
    if o_euid == 0 and creds.euid != 0:
        creds.cap_eff = 0
    if o_euid != 0 and creds.euid == 0:
        creds.cap_eff = creds.cap_prm


def fix_setfsuid(creds, old_fsuid):
    """The LSM_SETID_FS case: the filesystem capabilities follow fsuid 0."""
    if _issecure(creds, SECURE_NO_SETUID_FIXUP):
        return
    if old_fsuid == 0 and creds.fsuid != 0:
        creds.cap_eff &= ~CAP_FS_SET
    if old_fsuid != 0 and creds.fsuid == 0:
        creds.cap_eff |= creds.cap_prm & CAP_FS_SET


def _dumpability_changed(creds, old):
    """is_dumpability_changed: other ids for file access, or capabilities gained."""
    if (old[1], old[3], old[4], old[5]) != (creds.euid, creds.fsuid, creds.egid, creds.fsgid):
        return True
    return bool(creds.cap_prm & ~old[7])      # cred_cap_issubset: pP only


def commit(task, old):
    """commit_creds's side effects: a process whose ids or powers changed stops being
    dumpable (suid_dumpable), in all its threads (the flag is the mm's), and the task
    loses its parent-death signal."""
    if _dumpability_changed(task.creds, old):
        for t in task.process.threads:
            t.creds.dumpable = SUID_DUMPABLE
        task.pdeathsig = 0


# ---- execve (cap_bprm_creds_from_file, without file capabilities) -------------------

def exec_creds(task, image=None):
    """The new credentials of an execve (bprm_fill_uid, cap_bprm_creds_from_file without
    file capabilities): a set-user/group-ID file's owner/group becomes effective unless
    no_new_privs or a nosuid mount forbids it; root keeps (gets) its powers, others keep
    only the ambient set."""
    c = task.creds
    old = snapshot(c)
    st = getattr(image, "exec_st", None)
    if st is not None and not c.no_new_privs and not image.nosuid:
        if st.st_mode & statmod.S_ISUID:
            c.euid = st.st_uid
        if st.st_mode & 0o2010 == 0o2010:
            c.egid = st.st_gid
    prm, effective = 0, False
    if not _issecure(c, SECURE_NOROOT):
        if c.euid == 0 or c.uid == 0:
            prm = c.cap_bnd | c.cap_inh
        effective = c.euid == 0
    # A set-ID exec: this exec changed the effective ids (Linux 6.x compares with the
    # old effective ids: a process that already ran with euid != uid keeps them).
    is_setid = c.euid != old[1] or c.egid != old[4]
    if (is_setid or prm & ~old[7]) and c.no_new_privs:
        # LSM_UNSAFE_NO_NEW_PRIVS: no more than it had, and its real ids.
        c.euid, c.egid = c.uid, c.gid
        prm &= old[7]
    c.suid = c.fsuid = c.euid
    c.sgid = c.fsgid = c.egid
    if is_setid:
        c.cap_amb = 0                       # setid cancels ambient
    c.cap_prm = prm | c.cap_amb
    c.cap_eff = c.cap_prm if effective else c.cap_amb
    c.securebits &= ~(1 << SECURE_KEEP_CAPS)
    # begin_new_exec: dumpable unless the new image runs with other effective ids.
    other_ids = c.euid != c.uid or c.egid != c.gid
    c.dumpable = SUID_DUMPABLE if other_ids else 1
    secure = other_ids or (c.uid != 0 and (effective or bool(c.cap_prm & ~c.cap_amb)))
    if secure or _dumpability_changed(c, old):
        task.pdeathsig = 0                  # commit_creds, and secureexec's own reset
    if image is not None:
        # secureexec: a privilege-elevated exec (glibc then ignores LD_* and friends).
        image.secure = int(secure)


# ---- capget / capset -----------------------------------------------------------------

def _validate_magic(task, header):
    """cap_validate_magic: how many 32-bit words the version carries; an unknown
    version is answered with the preferred one (a probe) and EINVAL."""
    version, = struct.unpack("<I", task.mm.read(header, 4))
    if version == VERSION_1:
        return 1
    if version in (VERSION_2, VERSION_3):
        return 2
    task.mm.write(header, struct.pack("<I", VERSION_3))
    raise SyscallError(errno.EINVAL)


def sys_capget(task, header, dataptr):
    """capget(2)."""
    try:
        words = _validate_magic(task, header)
    except SyscallError as e:
        if not dataptr and e.errno == errno.EINVAL:
            return 0
        raise
    if not dataptr:
        return 0
    pid, = struct.unpack("<i", task.mm.read(header + 4, 4))
    if pid < 0:
        raise SyscallError(errno.EINVAL)
    target = task
    if pid and pid != task.tid:
        target = task.kernel.tasks.get(pid)
        if target is None:
            raise SyscallError(errno.ESRCH)
    c = target.creds
    data = b"".join(struct.pack("<III", c.cap_eff >> s & 0xFFFFFFFF, c.cap_prm >> s & 0xFFFFFFFF,
                                c.cap_inh >> s & 0xFFFFFFFF) for s in (0, 32)[:words])
    task.mm.write(dataptr, data)
    return 0


def sys_capset(task, header, data):
    """capset(2): only the caller's own sets, within commoncap's rules."""
    words = _validate_magic(task, header)
    pid, = struct.unpack("<i", task.mm.read(header + 4, 4))
    if pid != 0 and pid != task.tid:
        raise SyscallError(errno.EPERM)
    raw = task.mm.read(data, 12 * words) + bytes(12 * (2 - words))
    lo, hi = struct.unpack("<III", raw[:12]), struct.unpack("<III", raw[12:])
    eff, prm, inh = ((lo[i] | hi[i] << 32) & CAP_VALID_MASK for i in range(3))
    c = task.creds
    # cap_capset, in its order.
    if not creds_capable(c, CAP_SETPCAP) and inh & ~(c.cap_inh | c.cap_prm):
        raise SyscallError(errno.EPERM)     # inheritable capped by pI|pP without CAP_SETPCAP
    if inh & ~(c.cap_inh | c.cap_bnd):
        raise SyscallError(errno.EPERM)     # no new pI outside the bounding set
    if prm & ~c.cap_prm:
        raise SyscallError(errno.EPERM)     # permitted can only shrink
    if eff & ~prm:
        raise SyscallError(errno.EPERM)     # effective within the new permitted
    old = snapshot(c)
    c.cap_eff, c.cap_prm, c.cap_inh = eff, prm, inh
    c.cap_amb &= prm & inh
    commit(task, old)
    return 0


# ---- prctl: bounding set, ambient set, securebits, keepcaps -------------------------

def _cap_valid(cap):
    return 0 <= cap <= CAP_LAST_CAP


def prctl(task, option, arg2, arg3, arg4, arg5):
    """cap_task_prctl, for the options in CAP_PRCTLS."""
    c = task.creds
    if option == PR_CAPBSET_READ:
        if not _cap_valid(arg2):
            raise SyscallError(errno.EINVAL)
        return c.cap_bnd >> arg2 & 1
    if option == PR_CAPBSET_DROP:
        if not creds_capable(c, CAP_SETPCAP):
            raise SyscallError(errno.EPERM)
        if not _cap_valid(arg2):
            raise SyscallError(errno.EINVAL)
        c.cap_bnd &= ~(1 << arg2)
        return 0
    if option == PR_GET_SECUREBITS:
        return c.securebits
    if option == PR_SET_SECUREBITS:
        old = c.securebits
        # No change of a locked bit, no unlocking, no unknown bit, and CAP_SETPCAP.
        if (((old & SECURE_ALL_LOCKS) >> 1) & (old ^ arg2)) or (old & SECURE_ALL_LOCKS & ~arg2) \
                or arg2 & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS) or \
                not creds_capable(c, CAP_SETPCAP):
            raise SyscallError(errno.EPERM)
        c.securebits = arg2
        return 0
    if option == PR_GET_KEEPCAPS:
        return int(_issecure(c, SECURE_KEEP_CAPS))
    if option == PR_SET_KEEPCAPS:
        if arg2 > 1:
            raise SyscallError(errno.EINVAL)
        if _issecure(c, SECURE_KEEP_CAPS + 1):
            raise SyscallError(errno.EPERM)
        if arg2:
            c.securebits |= 1 << SECURE_KEEP_CAPS
        else:
            c.securebits &= ~(1 << SECURE_KEEP_CAPS)
        return 0
    # PR_CAP_AMBIENT
    if arg2 == PR_CAP_AMBIENT_CLEAR_ALL:
        if arg3 or arg4 or arg5:
            raise SyscallError(errno.EINVAL)
        c.cap_amb = 0
        return 0
    if not _cap_valid(arg3) or arg4 or arg5:
        raise SyscallError(errno.EINVAL)
    if arg2 == PR_CAP_AMBIENT_IS_SET:
        return c.cap_amb >> arg3 & 1
    if arg2 not in (PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER):
        raise SyscallError(errno.EINVAL)
    if arg2 == PR_CAP_AMBIENT_RAISE:
        if not (c.cap_prm >> arg3 & 1) or not (c.cap_inh >> arg3 & 1) or \
                _issecure(c, SECURE_NO_CAP_AMBIENT_RAISE):
            raise SyscallError(errno.EPERM)
        c.cap_amb |= 1 << arg3
    else:
        c.cap_amb &= ~(1 << arg3)
    return 0


# ---- TSC and CPUID faulting: real, in the guest's own host thread ------------------
#
# rdtsc and cpuid run on the CPU without a syscall, so the kernel cannot emulate
# the fault: it asks the host to make them fault in the stub thread that runs
# the guest thread (prctl PR_SET_TSC, arch_prctl ARCH_SET_CPUID, injected there).
# The host's SIGSEGV then reaches the guest as any fault of its own does.

NR_PRCTL, NR_ARCH_PRCTL = 157, 158
HOST_PR_SET_TSC, ARCH_SET_CPUID = 26, 0x1012


def _inject(task, nr, args):
    r = task.proc.inject(nr, args)
    if r < 0:
        raise SyscallError(-r)
    return r


def set_tsc(task, disable):
    """PR_SET_TSC: PR_TSC_SIGSEGV (disable) or PR_TSC_ENABLE for the calling thread."""
    _inject(task, NR_PRCTL, (HOST_PR_SET_TSC, 2 if disable else 1))
    task.creds.notsc = disable
    return 0


def set_cpuid(task, enabled):
    """ARCH_SET_CPUID: ENODEV where the CPU has no CPUID faulting (the host says so)."""
    _inject(task, NR_ARCH_PRCTL, (ARCH_SET_CPUID, 1 if enabled else 0))
    task.creds.nocpuid = not enabled
    return 0


def exec_cpu_flags(task):
    """arch_setup_new_exec: CPUID faulting ends at exec; TSC faulting stays (and is set
    again in a fresh stub, when exec gave the image one)."""
    c = task.creds
    try:
        if c.nocpuid:
            set_cpuid(task, True)
        if c.notsc:
            set_tsc(task, True)
    except SyscallError:
        c.nocpuid = False


# ---- owners of new files (inode_init_owner) ----------------------------------------

HOST_IDS = (os.geteuid(), os.getegid())


def own_new(task, parent_st, host_fd=None, dirfd=None, name=None):
    """A file the guest just made (host_fd, or name in the host directory dirfd) in a
    directory whose stat is parent_st gets the caller's fsuid, and its fsgid unless
    the directory is set-group-ID (the host has then given it the directory's group,
    and S_ISGID to a new directory, as Linux does). The host made it as the kernel's
    user; a kernel that is not root cannot give it away: it stays the kernel user's
    (and the guest sees that owner)."""
    c = task.creds
    if (c.fsuid, c.fsgid) == HOST_IDS:
        return
    try:
        if parent_st is None and dirfd is not None:
            parent_st = os.fstat(dirfd)
        if host_fd is not None:
            st = os.fstat(host_fd)
        else:
            st = os.stat(name, dir_fd=dirfd, follow_symlinks=False)
        gid = -1 if parent_st is not None and parent_st.st_mode & statmod.S_ISGID else c.fsgid
        if host_fd is not None:
            os.fchown(host_fd, c.fsuid, gid)
        else:
            os.chown(name, c.fsuid, gid, dir_fd=dirfd, follow_symlinks=False)
        mode = statmod.S_IMODE(st.st_mode)
        if gid == -1 and mode & 0o2010 == 0o2010 and not statmod.S_ISDIR(st.st_mode) and \
                parent_st.st_gid != c.fsgid and parent_st.st_gid not in c.groups and \
                not capable(task, CAP_FSETID):
            mode &= ~0o2000                 # mode_strip_sgid: not in the directory's group
        # chown clears the set-ID bits of a non-directory; a new file keeps its mode.
        if st.st_mode & 0o6000 and not statmod.S_ISLNK(st.st_mode):
            if host_fd is not None:
                os.fchmod(host_fd, mode)
            else:
                os.chmod(name, mode, dir_fd=dirfd)
    except OSError:
        pass


def remove_privs(task, target):
    """file_remove_privs before a write or truncate (target: a host fd or path): a
    caller without CAP_FSETID clears S_ISUID, and S_ISGID with group exec, of a
    regular file. (The host would not: the kernel process has CAP_FSETID.)"""
    if capable(task, CAP_FSETID):
        return
    try:
        st = os.stat(target)
        kill = statmod.S_ISUID if st.st_mode & statmod.S_ISUID else 0
        if st.st_mode & 0o2010 == 0o2010:
            kill |= statmod.S_ISGID
        if kill and statmod.S_ISREG(st.st_mode):
            os.chmod(target, statmod.S_IMODE(st.st_mode) & ~kill)
    except OSError:
        pass


def status_lines(creds):
    """The Cap* and NoNewPrivs lines of /proc/PID/status."""
    return [f"CapInh:\t{creds.cap_inh:016x}", f"CapPrm:\t{creds.cap_prm:016x}",
            f"CapEff:\t{creds.cap_eff:016x}", f"CapBnd:\t{creds.cap_bnd:016x}",
            f"CapAmb:\t{creds.cap_amb:016x}", f"NoNewPrivs:\t{int(creds.no_new_privs)}"]


HANDLERS = {
    "capget": sys_capget,
    "capset": sys_capset,
}
