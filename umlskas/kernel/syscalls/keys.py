"""Kernel key retention (security/keys): add_key, request_key and keyctl over the guest
world's own keys and keyrings, with Linux's permission masks, possession, quotas,
revocation, expiry and the thread/process/session/user keyrings.

Types: "keyring", "user" and "logon" (the ones that need no crypto or upcall). There is
no /sbin/request-key upcall: request_key finds existing keys or answers ENOKEY.
"""

import errno
import itertools
import struct
import time

from .. import creds
from ..errors import SyscallError

KEY_SPEC_THREAD_KEYRING, KEY_SPEC_PROCESS_KEYRING, KEY_SPEC_SESSION_KEYRING = -1, -2, -3
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
KEY_SPEC_GROUP_KEYRING, KEY_SPEC_REQKEY_AUTH_KEY, KEY_SPEC_REQUESTOR_KEYRING = -6, -7, -8

KEY_POS_VIEW, KEY_POS_READ, KEY_POS_WRITE = 0x01000000, 0x02000000, 0x04000000
KEY_POS_SEARCH, KEY_POS_LINK, KEY_POS_SETATTR = 0x08000000, 0x10000000, 0x20000000
KEY_USR_VIEW = 0x00010000
NEED_VIEW, NEED_READ, NEED_WRITE, NEED_SEARCH, NEED_LINK, NEED_SETATTR = 1, 2, 4, 8, 16, 32
KEY_PERM_MASK = 0x3F3F3F3F

KEY_MAX_DESC_SIZE = 4096
USER_PAYLOAD_MAX = 32767
ADD_KEY_PAYLOAD_MAX = 1024 * 1024 - 1
MAXKEYS, MAXBYTES, ROOT_MAXKEYS, ROOT_MAXBYTES = 200, 20000, 1000000, 25000000

(KEYCTL_GET_KEYRING_ID, KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_UPDATE, KEYCTL_REVOKE,
 KEYCTL_CHOWN, KEYCTL_SETPERM, KEYCTL_DESCRIBE, KEYCTL_CLEAR, KEYCTL_LINK, KEYCTL_UNLINK,
 KEYCTL_SEARCH, KEYCTL_READ, KEYCTL_INSTANTIATE, KEYCTL_NEGATE, KEYCTL_SET_REQKEY_KEYRING,
 KEYCTL_SET_TIMEOUT, KEYCTL_ASSUME_AUTHORITY, KEYCTL_GET_SECURITY, KEYCTL_SESSION_TO_PARENT,
 KEYCTL_REJECT, KEYCTL_INSTANTIATE_IOV, KEYCTL_INVALIDATE, KEYCTL_GET_PERSISTENT) = range(23)
KEYCTL_MOVE, KEYCTL_CAPABILITIES = 30, 31
KEYCTL_MOVE_EXCL = 1
TYPES = ("keyring", "user", "logon")


class Links(list):
    """A keyring's links in order, indexed by (type, description) as Linux's assoc_array
    is: finding the key a new one replaces must not walk every link (quadratic adds)."""

    __slots__ = ("by_name",)

    def __init__(self):
        super().__init__()
        self.by_name = {}

    def append(self, key):
        super().append(key)
        self.by_name[(key.type, key.desc)] = key

    def remove(self, key):
        super().remove(key)
        if self.by_name.get((key.type, key.desc)) is key:
            del self.by_name[(key.type, key.desc)]

    def clear(self):
        super().clear()
        self.by_name.clear()

    def replace(self, old, key):
        self[self.index(old)] = key
        if self.by_name.get((old.type, old.desc)) is old:
            del self.by_name[(old.type, old.desc)]
        self.by_name[(key.type, key.desc)] = key


class Key:
    __slots__ = ("serial", "type", "desc", "payload", "uid", "gid", "perm", "revoked",
                 "dead", "expiry", "links")

    def __init__(self, serial, type_, desc, payload, uid, gid, perm):
        self.serial, self.type, self.desc, self.payload = serial, type_, desc, payload
        self.uid, self.gid, self.perm = uid, gid, perm
        self.revoked = self.dead = False
        self.expiry = None                  # time.monotonic() at which it expires
        self.links = Links() if type_ == "keyring" else None


class KeyTable:
    """Every key of the guest world, and the per-user keyrings."""

    def __init__(self, kernel):
        self.kernel = kernel
        self.keys = {}
        self.serials = itertools.count(0x1234567)
        self.user_rings = {}                # uid -> (user keyring, user session keyring)
        self.persistent = {}                # uid -> persistent keyring
        self.collect_at = 256
        self.usage_by_uid = None            # uid -> (keys, bytes); None: count again

    def new(self, type_, desc, payload, uid, gid, perm):
        key = Key(next(self.serials), type_, desc, payload, uid, gid, perm)
        self.keys[key.serial] = key
        if self.usage_by_uid is not None:
            n, size = self.usage_by_uid.get(uid, (0, 0))
            self.usage_by_uid[uid] = (n + 1, size + _charge(key))
        return key

    def maybe_collect(self):
        """At the start of a call (never mid-call, when a new key is not yet held):
        collect once the table has doubled since the last collection."""
        if len(self.keys) >= self.collect_at:
            self.collect()

    def collect(self):
        """The key garbage collector (security/keys/gc.c): a key that no task's keyrings,
        no per-user or persistent keyring and no linked keyring holds is gone, and so is
        its quota. Without it a guest's anonymous session keyrings and unlinked keys
        piled up in the kernel for ever (and an unlinked key kept its owner's quota)."""
        roots = [k for pair in self.user_rings.values() for k in pair]
        roots.extend(self.persistent.values())
        for t in list(self.kernel.tasks.values()):
            roots.append(getattr(t, "thread_keyring", None))
            roots.append(getattr(t.process, "process_keyring", None))
            roots.append(getattr(t.process, "session_keyring", None))
        live = set()
        stack = [k for k in roots if k is not None]
        while stack:
            k = stack.pop()
            if k.serial in live or k.dead:
                continue
            live.add(k.serial)
            if k.links:
                stack.extend(k.links)
        self.keys = {s: k for s, k in self.keys.items() if s in live}
        self.usage_by_uid = None
        self.collect_at = max(256, 2 * len(self.keys))

    def usage(self, uid):
        """(keys, bytes) charged to uid. Kept per uid and counted again only after a
        change other than a new key (a count per add_key was quadratic)."""
        if self.usage_by_uid is None:
            counts = {}
            for k in self.keys.values():
                if not k.dead:
                    n, size = counts.get(k.uid, (0, 0))
                    counts[k.uid] = (n + 1, size + _charge(k))
            self.usage_by_uid = counts
        return self.usage_by_uid.get(uid, (0, 0))


def _charge(key):
    return len(key.desc) + 1 + len(key.payload or b"")


def _table(kernel):
    table = getattr(kernel, "key_table", None)
    if table is None:
        table = kernel.key_table = KeyTable(kernel)
    return table


def _default_perm(type_):
    perm = KEY_POS_VIEW | KEY_POS_SEARCH | KEY_POS_LINK | KEY_POS_SETATTR | KEY_USR_VIEW
    if type_ != "logon":
        perm |= KEY_POS_READ
    return perm | KEY_POS_WRITE


KEY_POS_ALL, KEY_USR_READ, KEY_USR_LINK = 0x3F000000, 0x00020000, 0x00100000
SESSION_PERM = KEY_POS_ALL | KEY_USR_VIEW | KEY_USR_READ
PRIVATE_PERM = KEY_POS_ALL | KEY_USR_VIEW          # thread and process keyrings


def _ring(table, task, name, perm=SESSION_PERM):
    c = task.creds
    return table.new("keyring", name, None, c.uid, c.gid, perm)


def _user_rings(table, task):
    uid = task.creds.uid
    rings = table.user_rings.get(uid)
    if rings is None:
        user = table.new("keyring", f"_uid.{uid}", None, uid, 0, 0x3F3F0000)
        session = table.new("keyring", f"_uid_ses.{uid}", None, uid, 0, 0x3F3F0000)
        session.links.append(user)
        rings = table.user_rings[uid] = (user, session)
    return rings


def _special(task, kid, create):
    """lookup_user_key()'s special ids; None when absent and not to be created."""
    table = _table(task.kernel)
    proc = task.process
    if kid == KEY_SPEC_THREAD_KEYRING:
        if getattr(task, "thread_keyring", None) is None and create:
            task.thread_keyring = _ring(table, task, "_tid", PRIVATE_PERM)
        return getattr(task, "thread_keyring", None)
    if kid == KEY_SPEC_PROCESS_KEYRING:
        if getattr(proc, "process_keyring", None) is None and create:
            proc.process_keyring = _ring(table, task, "_pid", PRIVATE_PERM)
        return getattr(proc, "process_keyring", None)
    if kid == KEY_SPEC_SESSION_KEYRING:
        ring = getattr(proc, "session_keyring", None)
        if ring is None:
            if not create:
                return _user_rings(table, task)[1]
            ring = proc.session_keyring = _ring(table, task, "_ses")
        return ring
    if kid == KEY_SPEC_USER_KEYRING:
        return _user_rings(table, task)[0]
    if kid == KEY_SPEC_USER_SESSION_KEYRING:
        return _user_rings(table, task)[1]
    if kid in (KEY_SPEC_GROUP_KEYRING,):
        raise SyscallError(errno.EINVAL)
    if kid in (KEY_SPEC_REQKEY_AUTH_KEY, KEY_SPEC_REQUESTOR_KEYRING):
        raise SyscallError(errno.ENOKEY)
    raise SyscallError(errno.EINVAL)


def _roots(task):
    """The keyrings a task possesses through (search_process_keyrings' order)."""
    table = _table(task.kernel)
    out = [getattr(task, "thread_keyring", None), getattr(task.process, "process_keyring", None)]
    session = getattr(task.process, "session_keyring", None)
    out.append(session if session is not None else _user_rings(table, task)[1])
    return [r for r in out if r is not None]


def _possessed(task, key):
    """The key is one of the task's own keyrings, or a search from them finds it: the
    search enters only keyrings, and finds only keys, that grant the possessor SEARCH."""
    roots = _roots(task)
    if any(r is key for r in roots):
        return True
    seen = set()
    stack = list(roots)
    while stack:
        ring = stack.pop()
        if ring.serial in seen or ring.dead or ring.revoked:
            continue
        seen.add(ring.serial)
        for k in ring.links:
            if not _permitted(task, k, NEED_SEARCH, possessed=True):
                continue
            if k is key:
                return True
            if k.type == "keyring":
                stack.append(k)
    return False


def _permitted(task, key, need, possessed=None):
    """key_task_permission()."""
    c = task.creds
    if key.uid == c.fsuid:
        kperm = key.perm >> 16
    elif key.gid in (c.fsgid,) or key.gid in c.groups:
        kperm = key.perm >> 8
    else:
        kperm = key.perm
    if possessed if possessed is not None else _possessed(task, key):
        kperm |= key.perm >> 24
    return kperm & need & 0x3F == need


def _check_live(key):
    if key.dead:
        raise SyscallError(errno.ENOKEY)
    if key.revoked:
        raise SyscallError(errno.EKEYREVOKED)
    if key.expiry is not None and time.monotonic() >= key.expiry:
        raise SyscallError(errno.EKEYEXPIRED)


def lookup(task, kid, need, create=False, partial=False):
    """lookup_user_key(): the key an id names, live (an invalidated one is ENOKEY, a
    revoked one EKEYREVOKED, an expired one EKEYEXPIRED) and with the needed permission.
    partial (an uninstantiated key would do) changes nothing here: every key is
    instantiated at birth."""
    if kid < 0:
        key = _special(task, kid, create)
        if key is None:
            raise SyscallError(errno.ENOKEY)
    else:
        key = _table(task.kernel).keys.get(kid)
        if key is None or key.dead:
            raise SyscallError(errno.ENOKEY)
    _check_live(key)
    if need and not _permitted(task, key, need):
        raise SyscallError(errno.EACCES)
    return key


def _type(task, ptr):
    raw = task.mm.read_cstr(ptr, limit=32, too_long=errno.EINVAL)
    if not raw:
        raise SyscallError(errno.EINVAL)
    name = raw.decode(errors="replace")
    if name.startswith("."):
        raise SyscallError(errno.EPERM)
    return name


def _desc(task, ptr):
    if not ptr:
        return None
    raw = task.mm.read_cstr(ptr, limit=KEY_MAX_DESC_SIZE, too_long=errno.EINVAL)
    return raw.decode(errors="surrogateescape") or None


def _quota(task, desc, payload):
    table = _table(task.kernel)
    uid = task.creds.fsuid
    maxkeys, maxbytes = (ROOT_MAXKEYS, ROOT_MAXBYTES) if uid == 0 else (MAXKEYS, MAXBYTES)
    for attempt in (0, 1):
        count, size = table.usage(uid)
        if count + 1 <= maxkeys and size + len(desc) + 1 + len(payload or b"") <= maxbytes:
            return
        if not attempt:
            table.collect()         # keys no longer held give their quota back first
    raise SyscallError(errno.EDQUOT)


def _preparse(type_, payload):
    if type_ == "keyring":
        if payload:
            raise SyscallError(errno.EINVAL)
        return None
    if not payload or len(payload) > USER_PAYLOAD_MAX:
        raise SyscallError(errno.EINVAL)
    return payload


def _link(ring, key):
    """Link key into ring, replacing a key of the same type and description."""
    old = ring.links.by_name.get((key.type, key.desc))
    if old is key:
        return
    if old is not None:
        ring.links.replace(old, key)
        return
    ring.links.append(key)


def sys_add_key(task, type_ptr, desc_ptr, payload_ptr, plen, ringid):
    """add_key(2)."""
    if plen > ADD_KEY_PAYLOAD_MAX:
        raise SyscallError(errno.EINVAL)
    _table(task.kernel).maybe_collect()
    type_ = _type(task, type_ptr)
    desc = _desc(task, desc_ptr)
    if desc is not None and desc.startswith(".") and type_.startswith("keyring"):
        raise SyscallError(errno.EPERM)
    payload = task.mm.read(payload_ptr, plen) if plen else None
    ring = lookup(task, ringid, NEED_WRITE, create=True)
    if type_ not in TYPES:
        raise SyscallError(errno.ENODEV)
    if ring.type != "keyring":
        raise SyscallError(errno.ENOTDIR)
    payload = _preparse(type_, payload)
    if desc is None:
        raise SyscallError(errno.EINVAL)
    if type_ != "keyring":
        old = ring.links.by_name.get((type_, desc))
        if old is not None and not old.dead:
            if _permitted(task, old, NEED_WRITE):
                old.payload = payload
                old.revoked = False
                _table(task.kernel).usage_by_uid = None
                return old.serial
    _quota(task, desc, payload)
    c = task.creds
    key = _table(task.kernel).new(type_, desc, payload, c.fsuid, c.fsgid, _default_perm(type_))
    _link(ring, key)
    return key.serial


def _search(task, ring, type_, desc, possessed):
    """keyring_search(): depth first through keyrings the caller may search. Possession
    is the starting keyring's, carried down the search as Linux does (asking for each key
    walked the whole tree again: quadratic in the keys, a hang with a root's quota)."""
    seen = set()
    stack = [ring]
    while stack:
        r = stack.pop(0)
        if r.serial in seen or r.dead:
            continue
        seen.add(r.serial)
        for k in r.links:
            if k.dead:
                continue
            if k.type == type_ and k.desc == desc and _permitted(task, k, NEED_SEARCH,
                                                                   possessed):
                _check_live(k)
                return k
            if k.type == "keyring" and not k.revoked and _permitted(task, k, NEED_SEARCH,
                                                                     possessed):
                stack.append(k)
    return None


def sys_request_key(task, type_ptr, desc_ptr, callout_ptr, destid):
    """request_key(2): existing keys only (no upcall to /sbin/request-key)."""
    type_ = _type(task, type_ptr)
    if not desc_ptr:
        raise SyscallError(errno.EFAULT)             # strndup_user(NULL)
    desc = _desc(task, desc_ptr)
    if desc is None:
        raise SyscallError(errno.EINVAL)
    if type_ == "keyring" and desc.startswith("."):
        raise SyscallError(errno.EPERM)
    if callout_ptr:
        task.mm.read_cstr(callout_ptr, limit=4096, too_long=errno.EINVAL)
    dest = lookup(task, destid, NEED_WRITE, create=True) if destid else None
    if type_ not in TYPES:
        raise SyscallError(errno.ENODEV)
    for root in _roots(task):
        found = _search(task, root, type_, desc, True)
        if found is not None:
            if dest is not None:
                _link(dest, found)
            return found.serial
    raise SyscallError(errno.ENOKEY)


def _copy_out(task, buf, buflen, data):
    if buf and buflen > 0:
        task.mm.write(buf, data[:buflen])
    return len(data)


def _keyctl(task, op, a2, a3, a4, a5):
    table = _table(task.kernel)
    s32 = lambda v: ((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000   # noqa: E731
    if op == KEYCTL_GET_KEYRING_ID:
        return lookup(task, s32(a2), 0, create=bool(a3), partial=True).serial
    if op == KEYCTL_JOIN_SESSION_KEYRING:
        name = _desc(task, a2)
        proc = task.process
        if name is None:
            _quota(task, "_ses", None)
            ring = _ring(table, task, "_ses")
        else:
            ring = next((k for k in table.keys.values() if k.type == "keyring" and
                         k.desc == name and not k.dead and k.uid == task.creds.uid), None)
            if ring is None:
                _quota(task, name, None)     # keyring_alloc(KEY_ALLOC_IN_QUOTA)
                ring = _ring(table, task, name)
            elif not _permitted(task, ring, NEED_SEARCH):
                raise SyscallError(errno.EACCES)
        proc.session_keyring = ring
        return ring.serial
    if op == KEYCTL_UPDATE:
        if a4 > ADD_KEY_PAYLOAD_MAX:
            raise SyscallError(errno.EINVAL)
        payload = task.mm.read(a3, a4) if a4 else None
        key = lookup(task, s32(a2), NEED_WRITE)
        if key.type == "keyring":
            raise SyscallError(errno.EOPNOTSUPP)
        key.payload = _preparse(key.type, payload)
        table.usage_by_uid = None
        return 0
    if op == KEYCTL_REVOKE:
        key = lookup(task, s32(a2), 0)
        if not (_permitted(task, key, NEED_WRITE) or _permitted(task, key, NEED_SETATTR)):
            raise SyscallError(errno.EACCES)
        key.revoked = True
        return 0
    if op == KEYCTL_INVALIDATE:
        key = lookup(task, s32(a2), NEED_SEARCH, partial=True)
        key.dead = True
        table.usage_by_uid = None
        for k in table.keys.values():
            if k.links is not None and key in k.links:
                k.links.remove(key)
        return 0
    if op == KEYCTL_CHOWN:
        key = lookup(task, s32(a2), NEED_SETATTR, partial=True)
        uid, gid = s32(a3), s32(a4)
        root = creds.capable(task, creds.CAP_SYS_ADMIN)
        if uid != -1 and uid != key.uid and not root:
            raise SyscallError(errno.EACCES)
        if gid != -1 and not root and (key.uid != task.creds.fsuid or
                                       gid not in (task.creds.fsgid, *task.creds.groups)):
            raise SyscallError(errno.EACCES)
        if uid != -1:
            key.uid = uid
            table.usage_by_uid = None
        if gid != -1:
            key.gid = gid
        return 0
    if op == KEYCTL_SETPERM:
        perm = a3 & 0xFFFFFFFF
        if perm & ~KEY_PERM_MASK:
            raise SyscallError(errno.EINVAL)
        key = lookup(task, s32(a2), NEED_SETATTR, partial=True)
        if not creds.capable(task, creds.CAP_SYS_ADMIN) and key.uid != task.creds.fsuid:
            raise SyscallError(errno.EACCES)
        key.perm = perm
        return 0
    if op == KEYCTL_DESCRIBE:
        key = lookup(task, s32(a2), NEED_VIEW, partial=True)
        text = f"{key.type};{key.uid};{key.gid};{key.perm:08x};{key.desc}".encode() + b"\0"
        return _copy_out(task, a3, a4, text)
    if op == KEYCTL_CLEAR:
        ring = lookup(task, s32(a2), NEED_WRITE)
        if ring.type != "keyring":
            raise SyscallError(errno.ENOTDIR)
        ring.links.clear()
        return 0
    if op == KEYCTL_LINK:
        key = lookup(task, s32(a2), NEED_LINK, partial=True)
        _check_live(key)
        ring = lookup(task, s32(a3), NEED_WRITE, create=True)
        if ring.type != "keyring":
            raise SyscallError(errno.ENOTDIR)
        if key.type == "keyring" and _reaches(key, ring):
            raise SyscallError(errno.EDEADLK)
        _quota_link(ring)
        _link(ring, key)
        return 0
    if op == KEYCTL_UNLINK:
        ring = lookup(task, s32(a3), NEED_WRITE)
        key = table.keys.get(s32(a2))           # KEY_NEED_UNLINK: no checks on the key
        if key is None:
            raise SyscallError(errno.ENOKEY)
        if ring.type != "keyring":
            raise SyscallError(errno.ENOTDIR)
        if key not in ring.links:
            raise SyscallError(errno.ENOENT)
        ring.links.remove(key)
        return 0
    if op == KEYCTL_MOVE:
        if a5 & ~KEYCTL_MOVE_EXCL:
            raise SyscallError(errno.EINVAL)
        key = lookup(task, s32(a2), NEED_LINK, partial=True)
        src = lookup(task, s32(a3), NEED_WRITE)
        dst = lookup(task, s32(a4), NEED_WRITE, create=True)
        if src.type != "keyring" or dst.type != "keyring":
            raise SyscallError(errno.ENOTDIR)
        if key not in src.links:
            raise SyscallError(errno.ENOENT)
        if a5 & KEYCTL_MOVE_EXCL and any(k.type == key.type and k.desc == key.desc
                                         for k in dst.links):
            raise SyscallError(errno.EEXIST)
        if key.type == "keyring" and _reaches(key, dst):
            raise SyscallError(errno.EDEADLK)
        src.links.remove(key)
        _link(dst, key)
        return 0
    if op == KEYCTL_SEARCH:
        ring = lookup(task, s32(a2), NEED_SEARCH)
        if ring.type != "keyring":
            raise SyscallError(errno.ENOTDIR)
        type_ = _type(task, a3)
        desc = _desc(task, a4)
        if desc is None:
            raise SyscallError(errno.EINVAL)
        dest = lookup(task, s32(a5), NEED_WRITE, create=True) if a5 else None
        found = _search(task, ring, type_, desc, _possessed(task, ring))
        if found is None:
            raise SyscallError(errno.ENOKEY)
        if dest is not None:
            _link(dest, found)
        return found.serial
    if op == KEYCTL_READ:
        key = lookup(task, s32(a2), 0)
        if not _permitted(task, key, NEED_READ):
            if not (_possessed(task, key) and _permitted(task, key, NEED_SEARCH)):
                raise SyscallError(errno.EACCES)
        if key.type == "logon":
            raise SyscallError(errno.EOPNOTSUPP)
        if key.type == "keyring":
            data = b"".join(struct.pack("<i", k.serial) for k in key.links if not k.dead)
        else:
            data = key.payload or b""
        return _copy_out(task, a3, a4, data)
    if op == KEYCTL_SET_TIMEOUT:
        key = lookup(task, s32(a2), NEED_SETATTR, partial=True)
        _check_live(key)
        secs = a3 & 0xFFFFFFFF
        key.expiry = time.monotonic() + secs if secs else None
        return 0
    if op == KEYCTL_GET_SECURITY:
        try:
            lookup(task, s32(a2), NEED_VIEW, partial=True)
        except SyscallError:
            # keyctl_get_security() then looks for an authorisation key, whose
            # absence is what it reports.
            raise SyscallError(errno.ENOKEY) from None
        return _copy_out(task, a3, a4, b"\0")
    if op == KEYCTL_SET_REQKEY_KEYRING:
        if not -1 <= s32(a2) <= 7:
            raise SyscallError(errno.EINVAL)
        old = getattr(task, "reqkey_default", 0)
        if s32(a2) != -1:
            task.reqkey_default = s32(a2)
        return old
    if op == KEYCTL_SESSION_TO_PARENT:
        # keyctl_session_to_parent(): only into a single-threaded parent with the caller's
        # effective ids, not set-id, whose keyrings are the caller's (any child could put
        # its own keyring, and so its keys, under a root parent). The guest's pid 1 is a
        # program of its own here, not an init to refuse.
        mine = lookup(task, KEY_SPEC_SESSION_KEYRING, NEED_LINK)
        parent = task.process.parent
        if parent is None or parent.zombie or len(parent.threads) != 1:
            raise SyscallError(errno.EPERM)
        theirs = getattr(parent, "session_keyring", None)
        if theirs is mine:
            return 0
        pc, mc = parent.threads[0].creds, task.creds
        if not (pc.uid == pc.euid == pc.suid == mc.euid and
                pc.gid == pc.egid == pc.sgid == mc.egid):
            raise SyscallError(errno.EPERM)
        if (theirs is not None and theirs.uid != mc.euid) or mine.uid != mc.euid:
            raise SyscallError(errno.EPERM)
        parent.session_keyring = getattr(task.process, "session_keyring", None)
        return 0
    if op == KEYCTL_GET_PERSISTENT:
        uid = s32(a2)
        if uid == -1:
            uid = task.creds.uid
        elif uid != task.creds.uid and not creds.capable(task, creds.CAP_SETUID):
            raise SyscallError(errno.EPERM)
        dest = lookup(task, s32(a3), NEED_WRITE, create=True)
        ring = table.persistent.get(uid)
        if ring is None:
            ring = table.persistent[uid] = table.new("keyring", f"_persistent.{uid}", None,
                                                     uid, 0, 0x3F3F0000 | 0x0B)
        _link(dest, ring)
        return ring.serial
    if op == KEYCTL_CAPABILITIES:
        caps = bytes([0x7F, 0x00])
        return _copy_out(task, a2, a3, caps)
    if op in (KEYCTL_INSTANTIATE, KEYCTL_NEGATE, KEYCTL_REJECT, KEYCTL_INSTANTIATE_IOV,
              KEYCTL_ASSUME_AUTHORITY):
        raise SyscallError(errno.EPERM)       # no key construction is ever underway
    raise SyscallError(errno.EOPNOTSUPP)


def _reaches(ring, target):
    """Would linking ring into target make a cycle (target reachable from ring)?"""
    seen, stack = set(), [ring]
    while stack:
        r = stack.pop()
        if r is target:
            return True
        if r.serial in seen:
            continue
        seen.add(r.serial)
        stack.extend(k for k in r.links if k.type == "keyring")
    return False


def _quota_link(ring):
    if len(ring.links) >= 65535:
        raise SyscallError(errno.ENFILE)


def sys_keyctl(task, op, a2, a3, a4, a5):
    """keyctl(2)."""
    _table(task.kernel).maybe_collect()
    return _keyctl(task, op, a2, a3, a4, a5)


HANDLERS = {
    "add_key": (sys_add_key, "partial: keyring, user and logon keys"),
    "request_key": (sys_request_key, "partial: existing keys only, no upcall"),
    "keyctl": (sys_keyctl, "partial: no key construction, DH or public-key operations"),
}
