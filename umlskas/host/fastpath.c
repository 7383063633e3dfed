/*
 * umlskas.host._fastpath: the SKAS hot path in one C call per guest syscall.
 *
 * step(procs, resume_pid, result, block) finishes the previous syscall of
 * resume_pid (POKEUSER rax = result; PTRACE_SYSEMU) when resume_pid > 0, then
 * waits for the next stop of any tracee (waitpid(-1, __WALL)) and, for a
 * syscall stop, reads it with PTRACE_GET_SYSCALL_INFO. From Python this
 * replaces four ctypes calls (about 1 us each) with one. Returns
 *   None                          nothing ready (block == 0) or EINTR (so the
 *                                 interpreter can run its signal handlers)
 *   (proc, kind, nr, args)        a syscall stop of a pid in the dict procs
 *                                 (kind 0: x86-64, 1: i386 int $0x80), the
 *                                 trap tuple the kernel expects (args: a 6-tuple)
 *   (pid, status, nr, args, arch) a syscall stop of an unknown pid
 *   (pid, status, -1, None, 0)    any other wait status
 * A failing ptrace request raises OSError(errno, "<request>(pid N)").
 *
 * seccomp_step(procs, fds, sigfd, reply_fd, reply_id, result, reply_pid, lost, block,
 *              chld_unsure)
 * is seccomp mode's hot path (umlskas/host/mode_seccomp.py): it answers the
 * previous user notification (SECCOMP_IOCTL_NOTIF_SEND on reply_fd, when
 * reply_fd >= 0; a thread a signal took out of its wait gives ENOENT, and
 * lost[reply_pid] = result records the answer for its next stop) or, with
 * reply_fd == -2, the previous call served at a ptrace stop of reply_pid (POKEUSER
 * rax, PTRACE_CONT), then waits for
 * the next event: a ptrace stop of any tracee (waitpid WNOHANG, woken by SIGCHLD
 * on the signalfd sigfd) or a notification on one of the listener fds (poll,
 * then SECCOMP_IOCTL_NOTIF_RECV). Returns
 *   None                    nothing ready (block == 0) or EINTR
 *   (proc, 0, nr, args)     a notification of a pid in procs; proc.notif is set
 *                           to (fd, id) for the answer
 *   (proc, kind, nr, args)  a SECCOMP_RET_TRACE stop of a guest call (orig_rax is
 *                           already -1; proc.sysnr = nr)
 *   (pid, status)           any other wait status
 *   (fd, id, pid)           a notification of an unknown pid
 *   (fd,)                   a listener with no filter users left (POLLHUP)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

/* Raw request numbers (include/uapi/linux/ptrace.h): no header version needed. */
#define REQ_POKEUSER 6
#define REQ_SYSEMU 31
#define REQ_GET_SYSCALL_INFO 0x420e
#define RAX_OFFSET (10 * 8)
#define AUDIT_ARCH_X86_64 0xC000003Eu

struct syscall_info {                /* struct ptrace_syscall_info, entry variant */
    uint8_t op;
    uint8_t pad[3];
    uint32_t arch;
    uint64_t instruction_pointer;
    uint64_t stack_pointer;
    uint64_t nr;
    uint64_t args[6];
    uint32_t ret_data;
    uint32_t pad2;
};

static long ptrace_raw(long request, long pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, request, pid, addr, data);
}

static PyObject *fail(const char *op, long pid)
{
    int err = errno;
    PyObject *msg = PyUnicode_FromFormat("%s(pid %ld): %s", op, pid, strerror(err));
    if (msg) {
        PyObject *exc = PyObject_CallFunction(PyExc_OSError, "iO", err, msg);
        Py_DECREF(msg);
        if (exc) {
            PyErr_SetObject(PyExc_OSError, exc);
            Py_DECREF(exc);
        }
    }
    return NULL;
}

static PyObject *step(PyObject *self, PyObject *args)
{
    long resume_pid, result;
    int block;
    PyObject *procs;
    if (!PyArg_ParseTuple(args, "O!lli", &PyDict_Type, &procs, &resume_pid, &result, &block))
        return NULL;
    if (resume_pid > 0) {
        if (ptrace_raw(REQ_POKEUSER, resume_pid, RAX_OFFSET, (unsigned long)result) < 0)
            return fail("PTRACE_POKEUSER", resume_pid);
        if (ptrace_raw(REQ_SYSEMU, resume_pid, 0, 0) < 0)
            return fail("PTRACE_SYSEMU", resume_pid);
    }
    int status = 0;
    pid_t pid = waitpid(-1, &status, __WALL | (block ? 0 : WNOHANG));
    if (pid < 0) {
        if (errno == EINTR)
            Py_RETURN_NONE;
        return fail("waitpid", -1);
    }
    if (pid == 0)
        Py_RETURN_NONE;
    if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80)) {
        struct syscall_info info;
        if (ptrace_raw(REQ_GET_SYSCALL_INFO, pid, sizeof(info), (unsigned long)&info) < 0)
            return fail("PTRACE_GET_SYSCALL_INFO", pid);
        PyObject *key = PyLong_FromLong(pid);
        if (!key)
            return NULL;
        PyObject *proc = PyDict_GetItemWithError(procs, key);   /* borrowed */
        Py_DECREF(key);
        if (proc)
            return Py_BuildValue("(OiK(KKKKKK))", proc, info.arch == AUDIT_ARCH_X86_64 ? 0 : 1,
                                 (unsigned long long)info.nr,
                                 (unsigned long long)info.args[0],
                                 (unsigned long long)info.args[1],
                                 (unsigned long long)info.args[2],
                                 (unsigned long long)info.args[3],
                                 (unsigned long long)info.args[4],
                                 (unsigned long long)info.args[5]);
        if (PyErr_Occurred())
            return NULL;
        return Py_BuildValue("(iiK(KKKKKK)I)", pid, status,
                             (unsigned long long)info.nr,
                             (unsigned long long)info.args[0],
                             (unsigned long long)info.args[1],
                             (unsigned long long)info.args[2],
                             (unsigned long long)info.args[3],
                             (unsigned long long)info.args[4],
                             (unsigned long long)info.args[5],
                             (unsigned int)info.arch);
    }
    return Py_BuildValue("(iiiOi)", pid, status, -1, Py_None, 0);
}

#define MAX_LISTENERS 64
#define REPLY_PTRACE (-2)               /* seccomp_step's reply_fd for a ptrace stop */
#define REQ_CONT 7
#define PTRACE_EVENT_SECCOMP_STOP 7
#define STUB_BASE 0x7FFBE0000000ULL
#define ORIG_RAX_OFFSET (15 * 8)

static PyObject *str_sysnr;
static int reap_pending = 1;            /* see seccomp_step */

/*
 * A PTRACE_EVENT_SECCOMP stop of pid: for a plain guest call (a known proc, ip below the
 * stub), make the host skip it (orig_rax = -1), set proc.sysnr and return the trap;
 * Py_None for what Python must look at (the vsyscall page, the stub's sites, a stranger).
 */
static PyObject *traced_call(PyObject *procs, pid_t pid)
{
    struct syscall_info info;
    memset(&info, 0, sizeof(info));
    if (ptrace_raw(REQ_GET_SYSCALL_INFO, pid, sizeof(info), (unsigned long)&info) < 0 ||
        info.op != 3 || info.instruction_pointer >= STUB_BASE)
        Py_RETURN_NONE;
    PyObject *key = PyLong_FromLong(pid);
    if (!key)
        return NULL;
    PyObject *proc = PyDict_GetItemWithError(procs, key);   /* borrowed */
    Py_DECREF(key);
    if (!proc) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    if (ptrace_raw(REQ_POKEUSER, pid, ORIG_RAX_OFFSET, ~0UL) < 0)
        return fail("PTRACE_POKEUSER", pid);
    PyObject *nr = PyLong_FromUnsignedLongLong(info.nr);
    if (!nr || PyObject_SetAttr(proc, str_sysnr, nr) < 0) {
        Py_XDECREF(nr);
        return NULL;
    }
    Py_DECREF(nr);
    return Py_BuildValue("(OiK(KKKKKK))", proc, info.arch == AUDIT_ARCH_X86_64 ? 0 : 1,
                         (unsigned long long)info.nr,
                         (unsigned long long)info.args[0], (unsigned long long)info.args[1],
                         (unsigned long long)info.args[2], (unsigned long long)info.args[3],
                         (unsigned long long)info.args[4], (unsigned long long)info.args[5]);
}

static PyObject *str_notif;

static PyObject *seccomp_step(PyObject *self, PyObject *args)
{
    PyObject *procs, *fds, *lost;
    int sigfd, reply_fd, block, chld_unsure;
    unsigned long long reply_id;
    long result, reply_pid;
    if (!PyArg_ParseTuple(args, "O!O!iiKllO!ii", &PyDict_Type, &procs, &PyTuple_Type, &fds,
                          &sigfd, &reply_fd, &reply_id, &result, &reply_pid,
                          &PyDict_Type, &lost, &block, &chld_unsure))
        return NULL;
    if (reply_fd == REPLY_PTRACE) {
        /* A call served at a ptrace stop (SECCOMP_RET_TRACE): rax, then run on. A
         * tracee that died meanwhile (ESRCH) reports its exit next. */
        if (ptrace_raw(REQ_POKEUSER, reply_pid, RAX_OFFSET, (unsigned long)result) < 0) {
            if (errno != ESRCH)
                return fail("PTRACE_POKEUSER", reply_pid);
        } else if (ptrace_raw(REQ_CONT, reply_pid, 0, 0) < 0 && errno != ESRCH) {
            return fail("PTRACE_CONT", reply_pid);
        }
    } else if (reply_fd >= 0) {
        struct seccomp_notif_resp resp;
        memset(&resp, 0, sizeof(resp));
        resp.id = reply_id;
        if (result < 0 && result >= -4095)
            resp.error = (int)result;
        else
            resp.val = result;
        if (ioctl(reply_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0) {
            if (errno != ENOENT)
                return fail("SECCOMP_IOCTL_NOTIF_SEND", reply_pid);
            /* Out of its wait (a signal): the answer goes into its registers later. */
            PyObject *k = PyLong_FromLong(reply_pid), *v = PyLong_FromLong(result);
            int bad = !k || !v || PyDict_SetItem(lost, k, v) < 0;
            Py_XDECREF(k);
            Py_XDECREF(v);
            if (bad)
                return NULL;
        }
    }
    Py_ssize_t nfds = PyTuple_GET_SIZE(fds);
    if (nfds > MAX_LISTENERS)
        nfds = MAX_LISTENERS;
    struct pollfd pfd[MAX_LISTENERS + 1];
    for (Py_ssize_t i = 0; i < nfds; i++) {
        pfd[i].fd = (int)PyLong_AsLong(PyTuple_GET_ITEM(fds, i));
        pfd[i].events = POLLIN;
    }
    pfd[nfds].fd = sigfd;
    pfd[nfds].events = POLLIN;
    /* Sleeping needs SIGCHLD blocked, for the signalfd to see a stop that comes between
     * the waitpid below and the poll (the run loop unblocks it after its own polls,
     * which the caller tells us with chld_unsure). */
    if (block && chld_unsure) {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        pthread_sigmask(SIG_BLOCK, &chld, NULL);
    }
    /* waitpid only when a stop may be waiting: after SIGCHLD (the signalfd), after
     * returning a stop (there may be more), or when SIGCHLD may have been taken by
     * someone else's signalfd (chld_unsure: the run loop's own poll). */
    if (chld_unsure)
        reap_pending = 1;
    for (;;) {
        int status = 0;
        pid_t pid = reap_pending ? waitpid(-1, &status, __WALL | WNOHANG) : 0;
        if (pid == 0)
            reap_pending = 0;
        if (pid > 0) {
            if (WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_SECCOMP_STOP) {
                PyObject *trap = traced_call(procs, pid);
                if (trap != Py_None)
                    return trap;        /* the trap, or NULL for an error */
                Py_DECREF(trap);
            }
            return Py_BuildValue("(ii)", pid, status);
        }
        if (pid < 0 && errno != ECHILD && errno != EINTR)
            return fail("waitpid", -1);
        int n = poll(pfd, nfds + 1, block ? -1 : 0);
        if (n < 0) {
            if (errno == EINTR)
                Py_RETURN_NONE;
            return fail("poll", -1);
        }
        if (n == 0)
            Py_RETURN_NONE;
        if (pfd[nfds].revents & POLLIN) {
            /* SIGCHLD: drain it, then look at waitpid again. */
            char buf[128 * 4];
            while (read(sigfd, buf, sizeof(buf)) > 0)
                ;
            reap_pending = 1;
            continue;
        }
        for (Py_ssize_t i = 0; i < nfds; i++) {
            if (pfd[i].revents & POLLIN) {
                struct seccomp_notif req;
                memset(&req, 0, sizeof(req));
                if (ioctl(pfd[i].fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
                    if (errno == ENOENT || errno == EINTR)
                        continue;   /* its thread left the wait (a signal) */
                    return fail("SECCOMP_IOCTL_NOTIF_RECV", -1);
                }
                PyObject *key = PyLong_FromLong(req.pid);
                if (!key)
                    return NULL;
                PyObject *proc = PyDict_GetItemWithError(procs, key);   /* borrowed */
                Py_DECREF(key);
                if (!proc) {
                    if (PyErr_Occurred())
                        return NULL;
                    return Py_BuildValue("(iKi)", pfd[i].fd, (unsigned long long)req.id,
                                         (int)req.pid);
                }
                PyObject *notif = Py_BuildValue("(iK)", pfd[i].fd, (unsigned long long)req.id);
                if (!notif || PyObject_SetAttr(proc, str_notif, notif) < 0) {
                    Py_XDECREF(notif);
                    return NULL;
                }
                Py_DECREF(notif);
                return Py_BuildValue("(OiK(KKKKKK))", proc, 0,
                                     (unsigned long long)(unsigned int)req.data.nr,
                                     (unsigned long long)req.data.args[0],
                                     (unsigned long long)req.data.args[1],
                                     (unsigned long long)req.data.args[2],
                                     (unsigned long long)req.data.args[3],
                                     (unsigned long long)req.data.args[4],
                                     (unsigned long long)req.data.args[5]);
            }
            if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
                return Py_BuildValue("(i)", pfd[i].fd);
        }
    }
}

static PyMethodDef methods[] = {
    {"step", step, METH_VARARGS, "Resume one tracee's syscall and wait for the next stop."},
    {"seccomp_step", seccomp_step, METH_VARARGS,
     "Answer one seccomp notification and wait for the next notification or stop."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpath", "The SKAS hot path in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__fastpath(void)
{
    str_notif = PyUnicode_InternFromString("notif");
    str_sysnr = PyUnicode_InternFromString("sysnr");
    if (!str_notif || !str_sysnr)
        return NULL;
    return PyModule_Create(&module);
}
