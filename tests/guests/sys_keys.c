/* Kernel keys: add_key, request_key and keyctl in a fresh anonymous session keyring (so
 * a native run leaves nothing in the host's keyrings; every key it makes is in it or in
 * a process keyring, and the session is cleared at the end). Serial numbers differ
 * between kernels: only their relations are printed. */
#include "common.h"
#include <sys/wait.h>

#define KEY_SPEC_THREAD_KEYRING -1
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEY_SPEC_SESSION_KEYRING -3
typedef int32_t key_serial_t;

static long add_key(const char *t, const char *d, const void *p, size_t n, key_serial_t r)
{
    return syscall(SYS_add_key, t, d, p, n, r);
}
static long request_key(const char *t, const char *d, const char *c, key_serial_t r)
{
    return syscall(SYS_request_key, t, d, c, r);
}
static long keyctl(int op, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
    return syscall(SYS_keyctl, op, a, b, c, d);
}

static void describe(const char *label, long id)
{
    char buf[256] = {0};
    long n = keyctl(6, id, (unsigned long)buf, sizeof buf, 0);
    if (n < 0) {
        res(label, n);
        return;
    }
    /* type;uid;gid;perm;description */
    say("%s: %ld '%s'\n", label, n, buf);
}

int main(void)
{
    say("== a session of our own\n");
    long ses = keyctl(1, 0, 0, 0, 0);                   /* JOIN_SESSION_KEYRING(NULL) */
    say("join: %s\n", ses > 0 ? "ok" : "BAD");
    say("session id: %s\n", keyctl(0, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == ses ? "same" : "BAD");
    describe("session", ses);
    res("process keyring, no create", keyctl(0, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
    long proc = keyctl(0, KEY_SPEC_PROCESS_KEYRING, 1, 0, 0);
    describe("process keyring", proc);
    res("bad special id", keyctl(0, -20, 0, 0, 0));
    res("no such key", keyctl(0, 12345, 0, 0, 0));

    say("== add_key\n");
    long k1 = add_key("user", "k1", "secret", 6, KEY_SPEC_SESSION_KEYRING);
    say("add user: %s\n", k1 > 0 ? "ok" : "BAD");
    describe("k1", k1);
    long again = add_key("user", "k1", "newer", 5, KEY_SPEC_SESSION_KEYRING);
    say("same description updates: %s\n", again == k1 ? "yes" : "BAD");
    char buf[64] = {0};
    res("read k1", keyctl(11, k1, (unsigned long)buf, sizeof buf, 0));
    say("payload: %s\n", buf);
    res("read k1 short buffer", keyctl(11, k1, (unsigned long)buf, 2, 0));
    res("read k1 NULL", keyctl(11, k1, 0, 0, 0));
    res("empty payload", add_key("user", "k2", "", 0, KEY_SPEC_SESSION_KEYRING));
    static char big[40000];
    res("payload 32768", add_key("user", "k2", big, 32768, KEY_SPEC_SESSION_KEYRING));
    res("payload > 1 MiB", add_key("user", "k2", big, 1 << 20, KEY_SPEC_SESSION_KEYRING));
    res("unknown type", add_key("nosuchtype", "k2", "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("dot type", add_key(".user", "k2", "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("empty type", add_key("", "k2", "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("type EFAULT", add_key(BADPTR, "k2", "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("desc EFAULT", add_key("user", BADPTR, "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("payload EFAULT", add_key("user", "k2", BADPTR, 1, KEY_SPEC_SESSION_KEYRING));
    res("no description", add_key("user", NULL, "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("keyring with payload", add_key("keyring", "r", "x", 1, KEY_SPEC_SESSION_KEYRING));
    res("keyring named .x", add_key("keyring", ".x", NULL, 0, KEY_SPEC_SESSION_KEYRING));
    res("into a user key", add_key("user", "k3", "x", 1, k1));
    res("into a bad id", add_key("user", "k3", "x", 1, 12345));
    long ring = add_key("keyring", "ring", NULL, 0, KEY_SPEC_SESSION_KEYRING);
    describe("ring", ring);
    long logon = add_key("logon", "svc:pw", "pw", 2, ring);
    describe("logon", logon);
    res("read logon", keyctl(11, logon, (unsigned long)buf, sizeof buf, 0));

    say("== keyrings\n");
    int ids[8];
    long n = keyctl(11, ring, (unsigned long)ids, sizeof ids, 0);
    say("ring holds %ld bytes, first is logon: %s\n", n, n >= 4 && ids[0] == logon ? "yes" : "BAD");
    res("link k1 into ring", keyctl(8, k1, ring, 0, 0));
    n = keyctl(11, ring, (unsigned long)ids, sizeof ids, 0);
    say("ring now %ld bytes\n", n);
    res("link ring into itself", keyctl(8, ring, ring, 0, 0));
    res("link session into ring (cycle)", keyctl(8, ses, ring, 0, 0));
    res("unlink k1", keyctl(9, k1, ring, 0, 0));
    res("unlink k1 again", keyctl(9, k1, ring, 0, 0));
    res("link into a user key", keyctl(8, logon, k1, 0, 0));
    say("search finds logon: %s\n",
        keyctl(10, KEY_SPEC_SESSION_KEYRING, (unsigned long)"logon", (unsigned long)"svc:pw", 0) == logon ? "yes" : "BAD");
    res("search missing", keyctl(10, KEY_SPEC_SESSION_KEYRING, (unsigned long)"user", (unsigned long)"nope", 0));
    say("request_key finds k1: %s\n",
        request_key("user", "k1", NULL, 0) == k1 ? "yes" : "BAD");
    res("request_key missing", request_key("user", "nope", NULL, 0));
    res("request_key dot type", request_key(".user", "k1", NULL, 0));
    res("request_key no desc", request_key("user", NULL, NULL, 0));

    say("== permissions, timeouts, revocation\n");
    res("setperm bad bits", keyctl(5, k1, 0x40000000, 0, 0));
    res("setperm possessor view only", keyctl(5, k1, 0x01000000, 0, 0));
    describe("k1 after setperm", k1);
    res("read without read permission", keyctl(11, k1, (unsigned long)buf, sizeof buf, 0));
    res("update without write permission", keyctl(2, k1, (unsigned long)"x", 1, 0));
    res("setperm back", keyctl(5, k1, 0x3f010000, 0, 0));
    res("setperm without setattr", (keyctl(5, k1, 0x01010000, 0, 0), keyctl(5, k1, 0x3f010000, 0, 0)));
    long k4 = add_key("user", "k4", "tmp", 3, KEY_SPEC_SESSION_KEYRING);
    res("update", keyctl(2, k4, (unsigned long)"longer", 6, 0));
    res("update empty", keyctl(2, k4, 0, 0, 0));
    res("update keyring", keyctl(2, ring, 0, 0, 0));
    res("set timeout 1s", keyctl(15, k4, 1, 0, 0));
    usleep(1200000);
    res("read expired", keyctl(11, k4, (unsigned long)buf, sizeof buf, 0));
    long k5 = add_key("user", "k5", "tmp", 3, KEY_SPEC_SESSION_KEYRING);
    res("revoke", keyctl(3, k5, 0, 0, 0));
    res("read revoked", keyctl(11, k5, (unsigned long)buf, sizeof buf, 0));
    res("describe revoked", keyctl(6, k5, (unsigned long)buf, sizeof buf, 0));
    res("update revoked", keyctl(2, k5, (unsigned long)"x", 1, 0));
    long k6 = add_key("user", "k6", "tmp", 3, KEY_SPEC_SESSION_KEYRING);
    res("invalidate", keyctl(21, k6, 0, 0, 0));
    res("get security", keyctl(17, k1, (unsigned long)buf, sizeof buf, 0));
    res("unknown op", keyctl(999, 0, 0, 0, 0));
    res("chown to another uid", keyctl(4, k1, 1000, -1, 0));
    describe("k1 after chown", k1);

    say("== another user\n");
    pid_t pid = fork();
    if (pid == 0) {
        say("child shares the session: %s\n",
            keyctl(0, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == ses ? "yes" : "BAD");
        res("child process keyring, no create", keyctl(0, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
        setresuid(65534, 65534, 65534);
        res("user reads root's k1 (possessed)", keyctl(11, logon, (unsigned long)buf, sizeof buf, 0));
        res("user setperm root's key", keyctl(5, ring, 0x3f3f3f3f, 0, 0));
        res("user chown", keyctl(4, ring, 65534, -1, 0));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child: %d\n", WEXITSTATUS(st));

    say("== clean up\n");
    res("clear ring", keyctl(7, ring, 0, 0, 0));
    n = keyctl(11, ring, (unsigned long)ids, sizeof ids, 0);
    say("ring after clear: %ld\n", n);
    res("clear a user key", keyctl(7, k1, 0, 0, 0));
    res("clear session", keyctl(7, KEY_SPEC_SESSION_KEYRING, 0, 0, 0));
    res("clear process keyring", keyctl(7, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
    return 0;
}
