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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
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

static PyMethodDef methods[] = {
    {"step", step, METH_VARARGS, "Resume one tracee's syscall and wait for the next stop."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fastpath", "The SKAS hot path in C.", -1, methods,
};

PyMODINIT_FUNC PyInit__fastpath(void)
{
    return PyModule_Create(&module);
}
