#define _GNU_SOURCE
#include "CPrivNUMA.h"

/* The memory-policy calls go straight to the kernel, as libnuma's numaif wrappers do:
   libnuma's own initialisation (sysfs scans at start-up) would cost every launch. */

#include <errno.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
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

long CPrivNUMA_migrate_pages(int pid, unsigned long maxnode,
                             const unsigned long *old_nodes,
                             const unsigned long *new_nodes) {
  return syscall(SYS_migrate_pages, pid, maxnode, old_nodes, new_nodes);
}

long CPrivNUMA_move_pages(int pid, unsigned long count, void **pages,
                          const int *nodes, int *status, int flags) {
  return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
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

static int CPrivNUMA_cap_list(unsigned int which, cap_value_t *list) {
  int n = 0;
  if (which & 1) list[n++] = CAP_DAC_OVERRIDE;
  if (which & 2) list[n++] = CAP_SYS_NICE;
  if (which & 4) list[n++] = CAP_SYS_ADMIN;
  return n;
}

int CPrivNUMA_cap_permitted(unsigned int which) {
  cap_value_t list[3];
  int n = CPrivNUMA_cap_list(which, list);
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  int result = 1;
  for (int i = 0; i < n; i++) {
    cap_flag_value_t value = CAP_CLEAR;
    if (cap_get_flag(caps, list[i], CAP_PERMITTED, &value) != 0 ||
        value != CAP_SET) {
      result = 0;
    }
  }
  cap_free(caps);
  return result;
}

int CPrivNUMA_cap_raise(unsigned int which) {
  cap_value_t list[3];
  int n = CPrivNUMA_cap_list(which, list);
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  int rc = cap_set_flag(caps, CAP_EFFECTIVE, n, list, CAP_SET);
  if (rc == 0) rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
  errno = saved;
  return rc;
}

int CPrivNUMA_cap_lower_effective(void) {
  cap_t caps = cap_get_proc();
  if (caps == NULL) return -1;
  int rc = cap_clear_flag(caps, CAP_EFFECTIVE);
  if (rc == 0) rc = cap_set_proc(caps);
  int saved = errno;
  cap_free(caps);
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
