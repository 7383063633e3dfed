"""Interface ioctls on any guest socket (net/core/dev_ioctl.c): struct ifreq requests and
SIOCGIFCONF, answered by the host for the guest's network.

Reads (SIOCGIF*) are answered for the network the guest uses: the host's (as netlink's
RTM_GET* dumps are), or its own network namespace. Changes (SIOCSIF*, SIOCADDRT, ...)
reach the host only in a network namespace the guest made; on the host's network they
are EPERM, as for a caller without CAP_NET_ADMIN.
"""

import ctypes
import errno
import socket
import struct

from .errors import SyscallError

IFREQ_SIZE = 40
IFCONF = struct.Struct("<i4xQ")             # ifc_len, ifc_buf
SIOCGIFCONF = 0x8912
GET = frozenset({0x8910, 0x8913, 0x8915, 0x8917, 0x8919, 0x891B, 0x891D, 0x8921, 0x8927,
                 0x8933, 0x8935, 0x8942, 0x8970})
SET = frozenset({0x8914, 0x8916, 0x8918, 0x891A, 0x891C, 0x891E, 0x8922, 0x8923, 0x8924,
                 0x8934, 0x8936, 0x8943, 0x8971, 0x890B, 0x890C, 0x8949, 0x894A})
ALL = GET | SET | {SIOCGIFCONF}
IFCONF_MAX = 1 << 16

_libc = ctypes.CDLL(None, use_errno=True)


def _probe(kernel):
    """A host AF_INET datagram socket of the kernel's, in the host's network, kept for
    these requests (any socket answers them on Linux)."""
    sock = getattr(kernel, "netdev_probe", None)
    if sock is None:
        sock = kernel.netdev_probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    return sock.fileno()


def _host_ioctl(fd, cmd, buf):
    if _libc.ioctl(fd, ctypes.c_ulong(cmd), buf) < 0:
        raise SyscallError(ctypes.get_errno())


def ioctl(task, cmd, arg, own_fd=None):
    """Answer interface request cmd. own_fd: a host socket in a network namespace the guest
    made (None: the host's network, through the kernel's probe socket)."""
    if cmd in SET and own_fd is None:
        task.mm.read(arg, IFREQ_SIZE)
        raise SyscallError(errno.EPERM)
    if not task.kernel.network and own_fd is None:
        raise SyscallError(errno.ENODEV)        # --net none: no interface to ask about
    fd = own_fd if own_fd is not None else _probe(task.kernel)
    if cmd == SIOCGIFCONF:
        length, ptr = IFCONF.unpack(task.mm.read(arg, IFCONF.size))
        size = max(0, min(length, IFCONF_MAX)) if ptr else 0
        buf = ctypes.create_string_buffer(size) if size else None
        conf = ctypes.create_string_buffer(IFCONF.pack(size, ctypes.addressof(buf) if buf
                                                       else 0), IFCONF.size)
        _host_ioctl(fd, cmd, conf)
        used, _ = IFCONF.unpack(conf.raw)
        if buf is not None and used:
            task.mm.write(ptr, buf.raw[:used])
        task.mm.write(arg, struct.pack("<i", used))
        return 0
    req = ctypes.create_string_buffer(task.mm.read(arg, IFREQ_SIZE), IFREQ_SIZE)
    _host_ioctl(fd, cmd, req)
    task.mm.write(arg, req.raw)
    return 0
