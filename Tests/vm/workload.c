/*
 * workload: the test program of the VM suite.
 *
 *   workload MIB [MARKER]
 *   workload --hold MIB          the same, then print "start ADDRESS" (the
 *                                mapping's first line in numa_maps) and wait
 *                                to be killed: a process whose pages another
 *                                program moves (the bench's migrations)
 *   workload --map FILE          map FILE shared (a tmpfs or hugetlbfs file)
 *   workload --shm KEYFILE [ID]  attach the System V segment ftok(KEYFILE, ID)
 *
 * The last two read every page of the file or segment (pages that were never
 * touched are then placed by its shared policy) and report that mapping's
 * policy and pages per node, as for anonymous memory: the placement numactl's
 * --file and --shm left.
 * Maps MIB MiB of anonymous memory, touches every page, then reports where
 * the pages ended up, read from its own /proc/self/numa_maps, and where it
 * ran.  If MARKER is given, the file is created first thing, so a test can
 * tell whether the program was started at all.
 *
 * Output, one "key value" pair per line (the value may contain spaces):
 *
 *   cpu 1                      CPU the program ran on (sched_getcpu)
 *   cpus 1                     CPUs it was allowed to run on (affinity list)
 *   mems 0-3                   Mems_allowed_list from /proc/self/status
 *   policy prefer (many):2-3   policy string of the mapping in numa_maps
 *   pages 16384                pages touched
 *   N0 0                       pages of the mapping on node 0 (one line per
 *   N2 16384                   node numa_maps lists; absent nodes have none)
 *
 * Built with gcc -static so it needs nothing in the guest.  Exit status: 0
 * when the report was written, 1 on any error (message on stderr).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Start address of the VMA that contains addr, from /proc/self/maps. */
static unsigned long vma_start(unsigned long addr) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) die("/proc/self/maps");
    char line[512];
    unsigned long lo, hi, found = 0;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
            found = lo;
            break;
        }
    }
    fclose(f);
    if (!found) { errno = ENOENT; die("mapping not found in /proc/self/maps"); }
    return found;
}

/* Is tok one of the numa_maps fields that follow the policy string? */
static int is_field(const char *tok) {
    static const char *names[] = {
        "anon=", "dirty=", "active=", "mapped=", "mapmax=", "swapcache=",
        "writeback=", "file=", "kernelpagesize_kB=", "huge", "heap", "stack",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncmp(tok, names[i], strlen(names[i])) == 0) return 1;
    if (tok[0] == 'N' && isdigit((unsigned char)tok[1])) {
        const char *p = tok + 1;
        while (isdigit((unsigned char)*p)) p++;
        return *p == '=';
    }
    return 0;
}

/* Print the policy and the per-node counts of the numa_maps line for start. */
static void report_numa_maps(unsigned long start) {
    FILE *f = fopen("/proc/self/numa_maps", "r");
    if (!f) die("/proc/self/numa_maps");
    char line[4096];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char *end;
        unsigned long a = strtoul(line, &end, 16);
        if (a != start || *end != ' ') continue;
        found = 1;
        line[strcspn(line, "\n")] = 0;
        /* Tokens after the address: the policy (which may contain a space,
         * "prefer (many):2-3") runs up to the first known field. */
        char policy[256] = "";
        int in_policy = 1;
        for (char *tok = strtok(end + 1, " "); tok; tok = strtok(NULL, " ")) {
            if (in_policy && !is_field(tok)) {
                if (policy[0]) strncat(policy, " ", sizeof policy - strlen(policy) - 1);
                strncat(policy, tok, sizeof policy - strlen(policy) - 1);
                continue;
            }
            if (in_policy) { printf("policy %s\n", policy); in_policy = 0; }
            if (tok[0] == 'N' && isdigit((unsigned char)tok[1])) {
                char *eq = strchr(tok, '=');
                *eq = 0;
                printf("%s %s\n", tok, eq + 1);
            }
        }
        if (in_policy) printf("policy %s\n", policy);
        break;
    }
    fclose(f);
    if (!found) { errno = ENOENT; die("mapping not found in /proc/self/numa_maps"); }
}

/* "Mems_allowed_list:\t0-3" from /proc/self/status. */
static void report_mems(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) die("/proc/self/status");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Mems_allowed_list:", 18) == 0) {
            char *v = line + 18;
            while (*v == ' ' || *v == '\t') v++;
            printf("mems %s", v);
        }
    }
    fclose(f);
}

/* The affinity mask as a cpu list ("0-1" style is not needed: "0,1"). */
static void report_cpus(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
    printf("cpus ");
    const char *sep = "";
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set)) { printf("%s%d", sep, c); sep = ","; }
    printf("\n");
}

/* --map FILE / --shm KEYFILE [ID]: read every page of the shared memory, then
 * report its numa_maps line.  The page size is the mapping's (huge pages on
 * hugetlbfs), so each page is read once. */
static int report_shared(int argc, char **argv) {
    char *p;
    size_t size, page;
    if (strcmp(argv[1], "--map") == 0 && argc == 3) {
        int fd = open(argv[2], O_RDWR);
        if (fd < 0) die(argv[2]);
        struct stat st;
        if (fstat(fd, &st) != 0) die("fstat");
        size = (size_t)st.st_size;
        page = (size_t)st.st_blksize;
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) die("mmap");
    } else if (strcmp(argv[1], "--shm") == 0 && (argc == 3 || argc == 4)) {
        key_t key = ftok(argv[2], argc == 4 ? atoi(argv[3]) : 0);
        if (key == -1) die("ftok");
        int id = shmget(key, 0, 0);
        if (id < 0) die("shmget");
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) != 0) die("shmctl");
        size = ds.shm_segsz;
        page = (size_t)sysconf(_SC_PAGESIZE);
        p = shmat(id, NULL, 0);
        if (p == (void *)-1) die("shmat");
    } else {
        fprintf(stderr, "usage: workload --map FILE | --shm KEYFILE [ID]\n");
        return 2;
    }
    volatile char sum = 0;
    for (size_t off = 0; off < size; off += page)
        sum += p[off];
    printf("cpu %d\n", sched_getcpu());
    report_cpus();
    report_mems();
    printf("pages %zu\n", size / (size_t)sysconf(_SC_PAGESIZE));
    report_numa_maps(vma_start((unsigned long)p));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    int hold = argc == 3 && strcmp(argv[1], "--hold") == 0;
    if (hold) {
        argv++;
        argc--;
    } else if (argc >= 2 && strncmp(argv[1], "--", 2) == 0) {
        return report_shared(argc, argv);
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: workload MIB [MARKER] | workload --hold MIB\n");
        return 2;
    }
    if (argc == 3) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) die(argv[2]);
        close(fd);
    }
    long mib = strtol(argv[1], NULL, 10);
    if (mib <= 0) { fprintf(stderr, "workload: bad size %s\n", argv[1]); return 2; }
    size_t size = (size_t)mib << 20;
    long page = sysconf(_SC_PAGESIZE);

    char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) die("mmap");
    /* Base pages only: a huge page is one interleave unit and one count of
     * 512, which would make the per-node shares coarse. */
    madvise(p, size, MADV_NOHUGEPAGE);
    for (size_t off = 0; off < size; off += (size_t)page)
        p[off] = (char)off | 1;

    printf("cpu %d\n", sched_getcpu());
    report_cpus();
    report_mems();
    printf("pages %zu\n", size / (size_t)page);
    unsigned long start = vma_start((unsigned long)p);
    report_numa_maps(start);
    if (hold) {
        printf("start %lx\n", start);
        fflush(stdout);
        for (;;) pause();
    }
    fflush(stdout);
    return 0;
}
