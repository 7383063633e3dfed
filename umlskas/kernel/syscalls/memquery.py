"""mincore and membarrier: questions about memory that the host answers for the stub's
address space, with the guest's own mappings deciding what may be asked."""

import errno
import struct

from .. import hostsys
from ..address_space import PAGE_MASK
from ..errors import SyscallError
from ..machine import MapOp

PAGE = 4096
HOST_MINCORE = 27
SYS_MEMBARRIER = 324
TASK_SIZE_MAX = 0x7FFFFFFFF000
PROT_WRITE = 2


def sys_mincore(task, addr, length, vec):
    """mincore(2): Linux's checks in do_mincore's order; the host's mincore, run in the
    stub, writes the residency bytes of the guest-mapped prefix straight into vec."""
    if addr & ~PAGE_MASK:
        raise SyscallError(errno.EINVAL)
    if length > TASK_SIZE_MAX or addr > TASK_SIZE_MAX - length:
        raise SyscallError(errno.ENOMEM)
    pages = (length + PAGE - 1) // PAGE
    if vec + pages > TASK_SIZE_MAX + PAGE or vec + pages < vec:
        raise SyscallError(errno.EFAULT)
    mm = task.mm
    end = addr + pages * PAGE
    covered = addr
    while covered < end:
        vma = mm.find(covered)
        if vma is None:
            break
        covered = min(vma.end, end)
    if covered > addr:
        count = (covered - addr) // PAGE
        # The host writes vec: it must be the guest's own writable memory, never the
        # stub's pages (the host would write wherever vec points).
        at = vec
        while at < vec + count:
            vma = mm.find(at)
            if vma is None or not vma.prot & PROT_WRITE:
                raise SyscallError(errno.EFAULT)
            at = vma.end
        mm.run_ops([MapOp(HOST_MINCORE, (addr, covered - addr, vec))])
    if covered < end:
        raise SyscallError(errno.ENOMEM)
    return 0


MEMBARRIER_CMD_QUERY, MEMBARRIER_CMD_GLOBAL = 0, 1
MEMBARRIER_CMD_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 2, 4
MEMBARRIER_CMD_PRIVATE_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 8, 16
MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64
MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 128
MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256
MEMBARRIER_CMD_GET_REGISTRATIONS = 512
MEMBARRIER_CMD_FLAG_CPU = 1
# Without restartable sequences (rseq is ENOSYS here) the RSEQ commands are not offered,
# as on a kernel without CONFIG_RSEQ.
SUPPORTED = (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |
             MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
             MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |
             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |
             MEMBARRIER_CMD_GET_REGISTRATIONS)
# Each expedited command and the registration it needs.
NEEDS = {MEMBARRIER_CMD_PRIVATE_EXPEDITED: MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
         MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
             MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE}


def _host_barrier():
    """Every CPU of the host passes a barrier: the guest's threads are host threads of
    stubs that nobody registered for the expedited kinds, so the global one serves."""
    r = hostsys.call(SYS_MEMBARRIER, MEMBARRIER_CMD_GLOBAL, 0, 0)
    if r < 0:
        raise SyscallError(-r)


def sys_membarrier(task, cmd, flags, cpu_id):
    """membarrier(2)."""
    if flags & 0xFFFFFFFF:
        if cmd != MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ or flags != MEMBARRIER_CMD_FLAG_CPU:
            raise SyscallError(errno.EINVAL)
    if cmd == MEMBARRIER_CMD_QUERY:
        return SUPPORTED
    if not cmd & SUPPORTED or cmd & (cmd - 1):
        raise SyscallError(errno.EINVAL)
    # The registrations belong to the mm: threads share them, fork copies them, exec
    # starts afresh (a new AddressSpace).
    registered = getattr(task.mm, "membarrier_registered", 0)
    if cmd == MEMBARRIER_CMD_GET_REGISTRATIONS:
        return registered
    if cmd in (MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE):
        task.mm.membarrier_registered = registered | cmd
        return 0
    need = NEEDS.get(cmd)
    if need is not None and not registered & need:
        raise SyscallError(errno.EPERM)
    _host_barrier()
    return 0


HANDLERS = {
    "mincore": sys_mincore,
    "membarrier": (sys_membarrier, "partial: the expedited barriers are the host's global one"),
}
