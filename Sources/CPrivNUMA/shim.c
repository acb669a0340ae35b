#define _GNU_SOURCE
#include "CPrivNUMA.h"

/* The memory-policy calls go straight to the kernel, as libnuma's numaif wrappers do:
   libnuma's own initialisation (sysfs scans at start-up) would cost every launch. */

#include <errno.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int CPrivNUMA_errno(void) { return errno; }

long CPrivNUMA_set_mempolicy(int mode, const unsigned long *nodemask,
                             unsigned long maxnode) {
  return syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

long CPrivNUMA_get_mempolicy(int *mode, unsigned long *nodemask,
                             unsigned long maxnode, void *addr,
                             unsigned long flags) {
  return syscall(SYS_get_mempolicy, mode, nodemask, maxnode, addr, flags);
}

long CPrivNUMA_mbind(void *addr, unsigned long len, int mode,
                     const unsigned long *nodemask, unsigned long maxnode,
                     unsigned int flags) {
  return syscall(SYS_mbind, addr, len, mode, nodemask, maxnode, flags);
}

void CPrivNUMA_touch(void *addr, unsigned long len, unsigned long step) {
  /* A compare-and-swap of a byte with itself: a write access that changes nothing, and one
     the compiler keeps (an atomic AND with 0xff, numactl's way, is optimised into a load). */
  char *p = addr;
  for (unsigned long i = 0; i < len; i += step) {
    char seen = __atomic_load_n(p + i, __ATOMIC_RELAXED);
    __atomic_compare_exchange_n(p + i, &seen, seen, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  }
}

long CPrivNUMA_migrate_pages(int pid, unsigned long maxnode,
                             const unsigned long *old_nodes,
                             const unsigned long *new_nodes) {
  return syscall(SYS_migrate_pages, pid, maxnode, old_nodes, new_nodes);
}

int CPrivNUMA_sched_setaffinity(int pid, size_t setsize,
                                const unsigned long *mask) {
  return sched_setaffinity(pid, setsize, (const cpu_set_t *)mask);
}

int CPrivNUMA_sched_getaffinity(int pid, size_t setsize, unsigned long *mask) {
  return sched_getaffinity(pid, setsize, (cpu_set_t *)mask);
}

int CPrivNUMA_execvp(const char *file, char *const argv[]) {
  return execvp(file, argv);
}

unsigned long CPrivNUMA_at_secure(void) { return getauxval(AT_SECURE); }

int CPrivNUMA_set_all_ids(uid_t uid, gid_t gid) {
  if (setresgid(gid, gid, gid) != 0) return -1;
  return setresuid(uid, uid, uid);
}

long CPrivNUMA_fs_type(int fd) {
  struct statfs info;
  if (fstatfs(fd, &info) != 0) return -1;
  return (long)info.f_type;
}

int CPrivNUMA_set_effective_uid(uid_t uid) { return setresuid(-1, uid, -1); }

long CPrivNUMA_saved_uid(void) {
  uid_t real, effective, saved;
  if (getresuid(&real, &effective, &saved) != 0) return -1;
  return (long)saved;
}

int CPrivNUMA_become_keeping_caps(uid_t uid, gid_t gid) {
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return -1;
  if (setresgid(gid, gid, gid) != 0) return -1;
  if (setresuid(uid, uid, uid) != 0) return -1;
  return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

static int CPrivNUMA_cap_list(unsigned int which, cap_value_t *list) {
  int n = 0;
  if (which & 1) list[n++] = CAP_DAC_OVERRIDE;
  if (which & 2) list[n++] = CAP_SYS_NICE;
  return n;
}

/* 1 when every capability of `which` is set in `flag`, 0 when one is not, -1 on error. */
static int CPrivNUMA_cap_has(unsigned int which, cap_flag_t flag) {
  cap_value_t list[2];
  int n = CPrivNUMA_cap_list(which, list);
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  int result = 1;
  for (int i = 0; i < n; i++) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps, list[i], flag, &value) != 0 || value != CAP_SET) {
      result = 0;
    }
  }
  cap_free(caps);
  return result;
}

int CPrivNUMA_cap_permitted(unsigned int which) {
  return CPrivNUMA_cap_has(which, CAP_PERMITTED);
}

int CPrivNUMA_cap_effective(unsigned int which) {
  return CPrivNUMA_cap_has(which, CAP_EFFECTIVE);
}

/* Sets or clears `which` in the effective set, leaving the rest as it is. */
static int CPrivNUMA_cap_set_effective(unsigned int which, cap_flag_value_t value) {
  cap_value_t list[2];
  int n = CPrivNUMA_cap_list(which, list);
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  int rc = cap_set_flag(caps, CAP_EFFECTIVE, n, list, value);
  if (rc == 0) rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  errno = saved;
  return rc;
}

int CPrivNUMA_cap_raise(unsigned int which) {
  return CPrivNUMA_cap_set_effective(which, CAP_SET);
}

int CPrivNUMA_cap_lower(unsigned int which) {
  return CPrivNUMA_cap_set_effective(which, CAP_CLEAR);
}

int CPrivNUMA_cap_limit(unsigned int which) {
  cap_value_t list[2];
  int n = CPrivNUMA_cap_list(which, list);
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  cap_t kept = cap_init();
  if (kept == NULL) {
    cap_free(caps);
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    cap_flag_value_t value = CAP_CLEAR;
    rc = cap_get_flag(caps, list[i], CAP_PERMITTED, &value);
    if (rc == 0 && value == CAP_SET) {
      rc = cap_set_flag(kept, CAP_PERMITTED, 1, &list[i], CAP_SET);
    }
  }
  if (rc == 0) rc = cap_set_proc(kept);
  int saved = errno;
  cap_free(caps);
  cap_free(kept);
  errno = saved;
  return rc;
}

int CPrivNUMA_cap_drop_all(void) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
      errno != EINVAL) {
    return -1;
  }
  cap_t caps = cap_init();
  if (caps == NULL) return -1;
  int rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  errno = saved;
  return rc;
}

int CPrivNUMA_cap_none(void) {
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  cap_t empty = cap_init();
  if (empty == NULL) {
    cap_free(caps);
    return -1;
  }
  /* cap_compare covers the effective, permitted and inheritable sets. */
  int none = cap_compare(caps, empty) == 0;
  cap_free(caps);
  cap_free(empty);
  if (!none) return 0;
  /* An ambient capability must also be permitted, so none can be left; ask anyway
     where the kernel knows ambient sets (4.3+). */
  for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
    int set = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);
    if (set > 0) return 0;
    if (set < 0) break;
  }
  return 1;
}

/* main's arguments, for the Swift runtime's CommandLine: glibc calls each function of
   .init_array with them, before any Swift code runs. */
static int CPrivNUMA_argc;
static char **CPrivNUMA_argv;

__attribute__((constructor)) static void CPrivNUMA_keep_arguments(int argc, char **argv,
                                                                  char **envp) {
  (void)envp;
  CPrivNUMA_argc = argc;
  CPrivNUMA_argv = argv;
}

/* The runtime's hook behind CommandLine.argc and CommandLine.unsafeArgv, under its own name,
   the one symbol here without the prefix. Its definition in the runtime
   (CommandLineSupport/CommandLine.cpp) finds argv at start-up by reading /proc/self/maps with
   stdio and sscanf, about 50,000 instructions and six system calls on every launch; with this
   one linked first, that object is not linked at all. */
__attribute__((swiftcall)) char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
  *outArgLen = CPrivNUMA_argc;
  return CPrivNUMA_argv;
}
