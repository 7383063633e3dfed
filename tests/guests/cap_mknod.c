/* mknod of device nodes: CAP_MKNOD decides (EPERM without it, after EEXIST and
 * the directory's permission); a node opens its device (null, zero, full), a
 * number without a driver gives ENXIO; stat shows type and number; chmod,
 * chown, rename and unlink work on it.  Block nodes are only made and stat'ed.
 * Run as root (natively too) in the scratch directory argv[1]; under umlskas
 * that directory is the kernel's own tmpfs or overlay (see test_creds.py).
 * With argv[2] == "hostbind" it only tries one node (umlskas refuses it on a
 * host directory: a device node there would be the host's). */
#include "common.h"
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <sys/wait.h>

static void show(const char *name)
{
    struct stat st;
    if (lstat(name, &st)) {
        printf("stat %s: -1 %s\n", name, ename(errno));
        return;
    }
    printf("stat %s: type %o mode %04o rdev %u:%u size %lld uid %d gid %d\n", name,
           (unsigned)(st.st_mode & S_IFMT) >> 12, (unsigned)(st.st_mode & 07777),
           major(st.st_rdev), minor(st.st_rdev), (long long)st.st_size, (int)st.st_uid,
           (int)st.st_gid);
}

static void drop_mknod(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_MKNOD);
    syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
    enter_dir(argc, argv);
    if (geteuid() != 0) {
        printf("not root: skipped\n");
        return 0;
    }
    umask(0);
    chmod(".", 0755);
    if (argc > 2 && !strcmp(argv[2], "hostbind")) {
        res("mknod null on a host directory", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
        return 0;
    }
    res("mknod null", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    res("mknod zero", mknod("zero", S_IFCHR | 0640, makedev(1, 5)));
    res("mknod full", mknod("full", S_IFCHR | 0600, makedev(1, 7)));
    res("mknod nodriver", mknod("nodriver", S_IFCHR | 0600, makedev(60, 0)));
    res("mknod block", mknod("block", S_IFBLK | 0600, makedev(7, 200)));
    res("mknod null again", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
    res("mknod dir", mknod("d", S_IFDIR | 0755, 0));
    res("mknod bad type", mknod("bad", 0170000 | 0644, 0));
    res("mkfifo", mknod("fifo", S_IFIFO | 0644, 0));
    show("null");
    show("zero");
    show("full");
    show("nodriver");
    show("block");
    show("fifo");
    DIR *d = opendir(".");
    struct dirent *e;
    char types[64][300];
    int n = 0;
    while (d && (e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.')
            snprintf(types[n++], sizeof types[0], "%s %d", e->d_name, e->d_type);
    if (d)
        closedir(d);
    qsort(types, n, sizeof types[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++)
        printf("d_type %s\n", types[i]);
    int pfd = open("zero", O_PATH);
    struct stat pst;
    fstat(pfd, &pst);
    printf("O_PATH fstat zero: type %o rdev %u:%u\n", (unsigned)(pst.st_mode & S_IFMT) >> 12,
           major(pst.st_rdev), minor(pst.st_rdev));
    close(pfd);
    res("mknod exe", mknod("exe", S_IFCHR | 0755, makedev(1, 3)));
    char *args[] = {"exe", NULL};
    res("execve a device node", execve("exe", args, NULL));
    unlink("exe");
    int fd = open("null", O_RDWR);
    rok("open null", fd);
    res("write null", write(fd, "abc", 3));
    struct stat fst, lst;
    fstat(fd, &fst);
    lstat("null", &lst);
    printf("fstat of the open node is the node: %s, rdev %u:%u\n",
           fst.st_ino == lst.st_ino && fst.st_dev == lst.st_dev ? "yes" : "no",
           major(fst.st_rdev), minor(fst.st_rdev));
    char fdlink[64], target[256];
    snprintf(fdlink, sizeof fdlink, "/proc/self/fd/%d", fd);
    long tn = readlink(fdlink, target, sizeof target - 1);
    target[tn > 0 ? tn : 0] = 0;
    printf("fd link ends with /null: %s\n",
           tn > 5 && !strcmp(target + tn - 5, "/null") ? "yes" : "no");
    char buf[8] = "xxxxxxxx";
    res("read null", read(fd, buf, 8));
    close(fd);
    fd = open("zero", O_RDONLY);
    res("read zero", read(fd, buf, 4));
    printf("zero bytes: %d %d %d %d\n", buf[0], buf[1], buf[2], buf[3]);
    close(fd);
    fd = open("full", O_WRONLY);
    res("write full", write(fd, "a", 1));
    close(fd);
    res("open nodriver", open("nodriver", O_RDONLY));
    res("open null O_TRUNC|O_CREAT", fd = open("null", O_WRONLY | O_TRUNC | O_CREAT, 0600));
    close(fd);
    show("null");
    res("chmod null", chmod("null", 0604));
    res("chown null", chown("null", 1000, 1000));
    show("null");
    res("rename null", rename("null", "null2"));
    show("null2");
    fd = open("null2", O_WRONLY);
    res("write renamed", write(fd, "abc", 3));
    close(fd);
    res("link", link("null2", "null3"));
    show("null3");
    res("unlink null2", unlink("null2"));
    show("null3");
    res("unlink null3", unlink("null3"));
    show("null3");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        drop_mknod();
        res("no CAP_MKNOD: mknod", mknod("nocap", S_IFCHR | 0666, makedev(1, 3)));
        res("no CAP_MKNOD: mknod existing", mknod("zero", S_IFCHR | 0666, makedev(1, 3)));
        res("no CAP_MKNOD: mkfifo", mknod("fifo2", S_IFIFO | 0600, 0));
        res("no CAP_MKNOD: regular", mknod("reg", S_IFREG | 0600, 0));
        show("reg");
        setresuid(1000, 1000, 1000);
        res("as 1000: mknod", mknod("as1000", S_IFCHR | 0666, makedev(1, 3)));
        mkdir("/", 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    return 0;
}
