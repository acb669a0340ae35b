#ifndef C_PRIVNUMA_H
#define C_PRIVNUMA_H

#include <stdint.h>
#include <sys/types.h>

/* Memory policy flags. Some system headers lack the newer ones; the modes are PolicyMode. */
#define CPrivNUMA_MPOL_F_STATIC_NODES (1 << 15)
#define CPrivNUMA_MPOL_F_RELATIVE_NODES (1 << 14)
#define CPrivNUMA_MPOL_F_NUMA_BALANCING (1 << 13)
#define CPrivNUMA_MPOL_F_MEMS_ALLOWED (1 << 2)
#define CPrivNUMA_MPOL_MF_STRICT (1 << 0)
/* get_mempolicy flags: the policy of an address, the node of the page there. */
#define CPrivNUMA_MPOL_F_NODE (1 << 0)
#define CPrivNUMA_MPOL_F_ADDR (1 << 1)

/* Each wrapper returns the syscall's result; on failure -1 with errno set. */
int CPrivNUMA_errno(void);
long CPrivNUMA_set_mempolicy(int mode, const unsigned long *nodemask,
                             unsigned long maxnode);
long CPrivNUMA_get_mempolicy(int *mode, unsigned long *nodemask,
                             unsigned long maxnode, void *addr,
                             unsigned long flags);
long CPrivNUMA_mbind(void *addr, unsigned long len, int mode,
                     const unsigned long *nodemask, unsigned long maxnode,
                     unsigned int flags);
/* Writes each step-th byte of [addr, addr+len) back unchanged, as numactl's --touch does,
   so every page is faulted in under the range's policy. */
void CPrivNUMA_touch(void *addr, unsigned long len, unsigned long step);
long CPrivNUMA_migrate_pages(int pid, unsigned long maxnode,
                             const unsigned long *old_nodes,
                             const unsigned long *new_nodes);
int CPrivNUMA_sched_setaffinity(int pid, size_t setsize,
                                const unsigned long *mask);
int CPrivNUMA_sched_getaffinity(int pid, size_t setsize, unsigned long *mask);
int CPrivNUMA_execvp(const char *file, char *const argv[]);
unsigned long CPrivNUMA_at_secure(void);
/* Sets real, effective and saved ids to the given ones (setresgid, then setresuid). */
int CPrivNUMA_set_all_ids(uid_t uid, gid_t gid);
/* The f_type of the file system holding fd (fstatfs), or -1 with errno set. */
long CPrivNUMA_fs_type(int fd);
/* Sets only the effective uid (setresuid(-1, uid, -1)); the saved uid is kept. */
int CPrivNUMA_set_effective_uid(uid_t uid);
/* The saved set-user-ID (getresuid); -1 on failure. */
long CPrivNUMA_saved_uid(void);
/* Becomes uid and gid (all three ids) keeping the permitted set, with nothing effective:
   the state a `setcap ...+p` install starts in, which tests stand in for this way. */
int CPrivNUMA_become_keeping_caps(uid_t uid, gid_t gid);

/* Capabilities (libcap). `which` bits: 1 CAP_DAC_OVERRIDE, 2 CAP_SYS_NICE.
   permitted/effective: 1 when every one is set, 0 when not,
   -1 on error. Raise/lower act on the effective set only. */
int CPrivNUMA_cap_permitted(unsigned int which);
int CPrivNUMA_cap_effective(unsigned int which);
int CPrivNUMA_cap_raise(unsigned int which);
int CPrivNUMA_cap_lower(unsigned int which);
/* Keeps only `which` (where permitted) in the permitted set; clears effective and
   inheritable. */
int CPrivNUMA_cap_limit(unsigned int which);
/* Clears permitted, effective, inheritable and ambient sets. */
int CPrivNUMA_cap_drop_all(void);
/* 1 when permitted, effective, inheritable and ambient sets are all empty. */
int CPrivNUMA_cap_none(void);

#endif
