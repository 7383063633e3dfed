"""inotify(7) syscalls: thin handlers over umlskas/kernel/inotify.py."""

from .. import inotify

HANDLERS = {
    "inotify_init": inotify.sys_inotify_init,
    "inotify_init1": inotify.sys_inotify_init1,
    "inotify_add_watch": inotify.sys_inotify_add_watch,
    "inotify_rm_watch": inotify.sys_inotify_rm_watch,
}
