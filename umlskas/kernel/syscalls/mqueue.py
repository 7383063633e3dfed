"""POSIX message queues (ipc/mqueue.c): mq_open, mq_unlink, mq_timedsend,
mq_timedreceive, mq_notify, mq_getsetattr, the queue as a file (read gives its status
line, poll its readiness), kernel-owned and named in one namespace per kernel."""

import errno
import itertools
import struct
import time

from .. import creds
from ..epoll import EPOLLIN, EPOLLOUT, KeyedWaitQueue
from ..errors import Block, SyscallError
from ..files import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, File, make_stat
from .time import CLOCK_REALTIME, NSEC

O_CREAT, O_EXCL = 0o100, 0o200
NAME_MAX = 255
MQ_PRIO_MAX = 32768
MSG_MAX, MSGSIZE_MAX, MSG_DEFAULT, MSGSIZE_DEFAULT, QUEUES_MAX = 10, 8192, 10, 8192, 256
HARD_MSGMAX, HARD_MSGSIZEMAX = 65536, 16 * 1024 * 1024
MSG_MSG_SIZE, TREE_NODE_SIZE = 48, 48          # struct msg_msg, struct posix_msg_tree_node
RLIMIT_MSGQUEUE = 12
MQ_ATTR = struct.Struct("<qqqq32x")            # struct mq_attr: flags, maxmsg, msgsize, curmsgs
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD = 0, 1, 2
SI_MESGQ = -3
S_IFREG = 0o100000
FILENT_SIZE = 80                               # every queue inode's i_size
_inodes = itertools.count(500000)


class MessageQueue:
    """One queue: messages by priority (highest first), FIFO within a priority."""

    def __init__(self, name, mode, uid, gid, maxmsg, msgsize):
        self.name, self.mode, self.uid, self.gid = name, mode, uid, gid
        self.maxmsg, self.msgsize = maxmsg, msgsize
        self.messages = []              # (priority, sequence, data), sorted on take
        self.seq = itertools.count()
        self.queue = KeyedWaitQueue()   # senders, receivers and pollers
        self.notify = None              # (process, sigev_notify, signo, value)
        self.ino = next(_inodes)
        self.linked = True
        self.opened_by = 0              # open files; the memory goes with the last one
        self.ns = None                  # the MqNamespace charged for it, until uncharged

    def uncharge(self):
        """mqueue_evict_inode(): the owner's RLIMIT_MSGQUEUE bytes come back when the
        queue is gone, unlinked and closed (not at unlink: a user could otherwise keep
        any number of unlinked queues open, past its limit)."""
        ns, self.ns = self.ns, None
        if ns is not None:
            ns.bytes_by_uid[self.uid] = max(0, ns.bytes_by_uid.get(self.uid, 0) - self.bytes())

    def bytes(self):
        return self.maxmsg * (MSG_MSG_SIZE + self.msgsize) + \
            min(self.maxmsg, MQ_PRIO_MAX) * TREE_NODE_SIZE

    def qsize(self):
        return sum(len(m[2]) for m in self.messages)

    def put(self, kernel, sender, data, prio):
        self.messages.append((prio, next(self.seq), data))
        if len(self.messages) == 1 and self.notify is not None and not self._receivers():
            self._do_notify(kernel, sender)
        self.queue.wake(key=EPOLLIN)

    def _receivers(self):
        return any(getattr(w, "mq_receiving", None) is self for w in self.queue.waiters)

    def _do_notify(self, kernel, sender):
        """__do_notify(): one signal (SI_MESGQ) for the registered process, then it is gone."""
        process, how, signo, value = self.notify
        self.notify = None
        if how == SIGEV_SIGNAL and not process.zombie and process.threads:
            info = struct.pack("<iii4xiIQ", signo, 0, SI_MESGQ, sender.tgid, sender.creds.uid,
                               value).ljust(128, b"\0")
            kernel.send_signal(process, signo, info=info)

    def take(self):
        best = max(self.messages, key=lambda m: (m[0], -m[1]))
        self.messages.remove(best)
        self.queue.wake(key=EPOLLOUT)
        return best[0], best[2]


class MqFile(File):
    """An open message queue descriptor."""

    def __init__(self, mq, flags):
        super().__init__(flags & (O_ACCMODE | O_NONBLOCK), f"/{mq.name.decode(errors='replace')}")
        self.mq = mq
        mq.opened_by += 1
        self.status_pos = 0

    def read(self, size):
        mq = self.mq
        notify = mq.notify
        line = (f"QSIZE:{mq.qsize():<10d} NOTIFY:{notify[1] if notify else 0:<5d} "
                f"SIGNO:{notify[2] if notify else 0:<5d} "
                f"NOTIFY_PID:{notify[0].tgid if notify else 0:<6d}\n").encode()
        data = line[self.status_pos:self.status_pos + size]
        self.status_pos += len(data)
        return data

    def lseek(self, offset, whence):
        if whence == 0 and offset >= 0:
            self.status_pos = offset
            return offset
        raise SyscallError(errno.EINVAL)

    def poll(self):
        mq = self.mq
        ev = EPOLLIN if mq.messages else 0
        if len(mq.messages) < mq.maxmsg:
            ev |= EPOLLOUT
        return ev

    def wait_queues(self):
        return (self.mq.queue,)

    def stat(self):
        mq = self.mq
        return make_stat(S_IFREG | mq.mode, mq.ino, dev=0x13, uid=mq.uid, gid=mq.gid,
                         size=FILENT_SIZE)

    def release(self):
        mq = self.mq
        mq.opened_by -= 1
        if mq.notify is not None and mq.notify[0].zombie:
            mq.notify = None
        if not mq.opened_by and not mq.linked:
            mq.uncharge()


class MqNamespace:
    """The queues of one IPC namespace, by name."""

    def __init__(self):
        self.queues = {}
        self.bytes_by_uid = {}


def _namespace(kernel):
    ns = getattr(kernel, "mqueue_ns", None)
    if ns is None:
        ns = kernel.mqueue_ns = MqNamespace()
    return ns


def _name(task, ptr):
    """getname() then lookup_one_len(): EFAULT, ENAMETOOLONG, then EACCES for a name
    that is ".", "..", or has a "/" in it (glibc strips the leading one)."""
    name = task.mm.read_cstr(ptr, limit=4096)
    if not name:
        raise SyscallError(errno.ENOENT)             # getname()
    if len(name) > NAME_MAX:
        raise SyscallError(errno.ENAMETOOLONG)
    if name in (b".", b"..") or b"/" in name:
        raise SyscallError(errno.EACCES)
    return name


def _permitted(task, mq, want):
    """inode_permission() on the queue with the caller's fsuid/fsgid (root passes)."""
    c = task.creds
    if creds.capable(task, creds.CAP_DAC_OVERRIDE):
        return True
    if c.fsuid == mq.uid:
        bits = mq.mode >> 6
    elif c.fsgid == mq.gid or mq.gid in c.groups:
        bits = mq.mode >> 3
    else:
        bits = mq.mode
    return bits & want == want


def sys_mq_open(task, name_ptr, oflag, mode, attr_ptr):
    """mq_open(2) (the raw call: the name without its leading '/')."""
    attr = None
    if attr_ptr and oflag & O_CREAT:
        _, maxmsg, msgsize, _ = MQ_ATTR.unpack(task.mm.read(attr_ptr, MQ_ATTR.size))
        attr = (maxmsg, msgsize)
    name = _name(task, name_ptr)
    ns = _namespace(task.kernel)
    mq = ns.queues.get(name)
    root = creds.capable(task, creds.CAP_SYS_RESOURCE)
    if mq is None:
        if not oflag & O_CREAT:
            raise SyscallError(errno.ENOENT)
        if len(ns.queues) >= QUEUES_MAX and not root:
            raise SyscallError(errno.ENOSPC)
        maxmsg, msgsize = attr if attr is not None else (MSG_DEFAULT, MSGSIZE_DEFAULT)
        if maxmsg <= 0 or msgsize <= 0:
            raise SyscallError(errno.EINVAL)
        if root:
            if maxmsg > HARD_MSGMAX or msgsize > HARD_MSGSIZEMAX:
                raise SyscallError(errno.EINVAL)
        elif maxmsg > MSG_MAX or msgsize > MSGSIZE_MAX:
            raise SyscallError(errno.EINVAL)
        if msgsize > (1 << 64) // maxmsg:
            raise SyscallError(errno.EOVERFLOW)
        umask = task.fs.umask
        mq = MessageQueue(name, mode & 0o777 & ~umask, task.creds.fsuid, task.creds.fsgid,
                          maxmsg, msgsize)
        used = ns.bytes_by_uid.get(mq.uid, 0)
        if used + mq.bytes() > task.rlimits[RLIMIT_MSGQUEUE][0]:
            raise SyscallError(errno.EMFILE)
        ns.bytes_by_uid[mq.uid] = used + mq.bytes()
        mq.ns = ns
        ns.queues[name] = mq
    else:
        if oflag & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL:
            raise SyscallError(errno.EEXIST)
        if oflag & O_ACCMODE == O_ACCMODE:
            raise SyscallError(errno.EINVAL)
        want = {O_RDONLY: 4, O_WRONLY: 2, O_RDWR: 6}[oflag & O_ACCMODE]
        if not _permitted(task, mq, want):
            raise SyscallError(errno.EACCES)
    return task.files.install(MqFile(mq, oflag), cloexec=True)


def sys_mq_unlink(task, name_ptr):
    """mq_unlink(2): the sticky-directory rule of the mqueue root (mode 1777)."""
    name = _name(task, name_ptr)
    ns = _namespace(task.kernel)
    mq = ns.queues.get(name)
    if mq is None:
        raise SyscallError(errno.ENOENT)
    if task.creds.fsuid != mq.uid and not creds.capable(task, creds.CAP_FOWNER):
        raise SyscallError(errno.EPERM)
    del ns.queues[name]
    mq.linked = False
    if not mq.opened_by:
        mq.uncharge()
    return 0


def _deadline(task, abs_timeout):
    """prepare_timeout(): EFAULT, EINVAL; the absolute CLOCK_REALTIME time as a monotonic
    time.monotonic() deadline, fixed on the call's first run."""
    restart = task.restart
    if "mq_deadline" not in restart:
        deadline = None
        if abs_timeout:
            sec, nsec = struct.unpack("<qq", task.mm.read(abs_timeout, 16))
            if sec < 0 or not 0 <= nsec < NSEC:
                raise SyscallError(errno.EINVAL)
            left = sec * NSEC + nsec - task.kernel.clock.now_ns(CLOCK_REALTIME)
            deadline = time.monotonic() + left / NSEC
        restart["mq_deadline"] = deadline
    return restart["mq_deadline"]


def _mq_file(task, fd, writing):
    file = task.files.get(fd)
    if not isinstance(file, MqFile):
        raise SyscallError(errno.EBADF)
    acc = file.flags & O_ACCMODE
    if (writing and acc == O_RDONLY) or (not writing and acc == O_WRONLY):
        raise SyscallError(errno.EBADF)
    return file


def _wait(task, file, deadline):
    if file.flags & O_NONBLOCK:
        raise SyscallError(errno.EAGAIN)
    if deadline is not None and time.monotonic() >= deadline:
        raise SyscallError(errno.ETIMEDOUT)
    raise Block(queue=file.mq.queue, deadline=deadline)


def sys_mq_timedsend(task, fd, msg_ptr, msg_len, prio, abs_timeout):
    """mq_timedsend(2)."""
    deadline = _deadline(task, abs_timeout)
    if prio >= MQ_PRIO_MAX:
        raise SyscallError(errno.EINVAL)
    file = _mq_file(task, fd, True)
    mq = file.mq
    if msg_len > mq.msgsize:
        raise SyscallError(errno.EMSGSIZE)
    data = task.mm.read(msg_ptr, msg_len)
    if len(mq.messages) >= mq.maxmsg:
        _wait(task, file, deadline)
    mq.put(task.kernel, task, data, prio)
    return 0


def sys_mq_timedreceive(task, fd, msg_ptr, msg_len, prio_ptr, abs_timeout):
    """mq_timedreceive(2)."""
    deadline = _deadline(task, abs_timeout)
    file = _mq_file(task, fd, False)
    mq = file.mq
    if msg_len < mq.msgsize:
        raise SyscallError(errno.EMSGSIZE)
    if not mq.messages:
        task.mq_receiving = mq              # a waiting receiver takes the place of notify
        _wait(task, file, deadline)
    task.mq_receiving = None
    prio, data = mq.take()
    if prio_ptr:
        task.mm.write(prio_ptr, struct.pack("<I", prio))
    task.mm.write(msg_ptr, data)
    return len(data)


def sys_mq_notify(task, fd, sevp):
    """mq_notify(2): SIGEV_SIGNAL and SIGEV_NONE (SIGEV_THREAD needs a netlink socket,
    which this kernel has not)."""
    notification = None
    if sevp:
        value, signo, how = struct.unpack("<Qii", task.mm.read(sevp, 16))
        if how not in (SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD):
            raise SyscallError(errno.EINVAL)
        if how == SIGEV_SIGNAL and not 1 <= signo <= 64:
            raise SyscallError(errno.EINVAL)
        if how == SIGEV_THREAD:
            task.files.get(signo)
            raise SyscallError(errno.ENOTSOCK)
        notification = (how, signo, value)
    file = task.files.get(fd)
    if not isinstance(file, MqFile):
        raise SyscallError(errno.EBADF)
    mq = file.mq
    if notification is None:
        if mq.notify is not None and mq.notify[0] is task.process:
            mq.notify = None
        return 0
    if mq.notify is not None and not mq.notify[0].zombie:
        raise SyscallError(errno.EBUSY)
    how, signo, value = notification
    mq.notify = (task.process, how, signo, value)
    return 0


def sys_mq_getsetattr(task, fd, new_ptr, old_ptr):
    """mq_getsetattr(2): only O_NONBLOCK can be changed."""
    new = None
    if new_ptr:
        new = MQ_ATTR.unpack(task.mm.read(new_ptr, MQ_ATTR.size))
        if new[0] & ~O_NONBLOCK:
            raise SyscallError(errno.EINVAL)
    file = task.files.get(fd)
    if not isinstance(file, MqFile):
        raise SyscallError(errno.EBADF)
    mq = file.mq
    old = MQ_ATTR.pack(file.flags & O_NONBLOCK, mq.maxmsg, mq.msgsize, len(mq.messages))
    if new is not None:
        file.flags = (file.flags & ~O_NONBLOCK) | (new[0] & O_NONBLOCK)
    if old_ptr:
        task.mm.write(old_ptr, old)
    return 0


HANDLERS = {
    "mq_open": sys_mq_open, "mq_unlink": sys_mq_unlink,
    "mq_timedsend": sys_mq_timedsend, "mq_timedreceive": sys_mq_timedreceive,
    "mq_notify": (sys_mq_notify, "partial: SIGEV_SIGNAL and SIGEV_NONE (no netlink)"),
    "mq_getsetattr": sys_mq_getsetattr,
}
