/*
 * privnuma's SPANK plugin: grants private memory nodes to Slurm tasks where they live.
 *
 * slurmstepd forks each task, places it in its cgroup (job_N/step_M/user/task_K) and
 * then calls slurm_spank_task_post_fork before letting the task exec. Here the plugin runs
 * the installed privnuma as root:
 *
 *     privnuma __slurm-task PID UID GIDS ARGV...
 *
 * which writes the task cgroup's cpuset.mems: the step's general nodes, plus the private
 * nodes a `srun privnuma ...` launch names when the registry allows the job's user. The
 * decision is privnuma's; this file only hands it what slurmstepd vouches for (ids,
 * argv, local task id) and logs the answer. When privnuma fails, the task is not run.
 *
 * plugstack.conf:   required /usr/local/lib/privnuma/privnuma_spank.so [privnuma=PATH]
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(privnuma, 1);

static const char *privnuma_path = "/usr/local/bin/privnuma";

int slurm_spank_init(spank_t sp __attribute__((unused)), int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "privnuma=", 9) == 0) {
			privnuma_path = av[i] + 9;
		} else {
			slurm_error("privnuma: unknown plugin argument '%s' in plugstack.conf; the only one is privnuma=PATH", av[i]);
			return -1;
		}
	}
	return 0;
}

/* Runs privnuma with argv, the environment env, and its output in buffer; returns the exit status or -1. */
static int run_privnuma(char **argv, char **env, char *buffer, size_t size)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return -1;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addclose(&actions, pipefd[0]);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDERR_FILENO);
	posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	pid_t child;
	int error = posix_spawn(&child, privnuma_path, &actions, NULL, argv, env);
	posix_spawn_file_actions_destroy(&actions);
	close(pipefd[1]);
	if (error != 0) {
		close(pipefd[0]);
		snprintf(buffer, size, "cannot run %s: %s", privnuma_path, strerror(error));
		return -1;
	}
	size_t used = 0;
	for (;;) {
		ssize_t got = read(pipefd[0], buffer + used, size - 1 - used);
		if (got > 0 && used + got < size - 1) {
			used += got;
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got > 0) {
			used += got;
			/* Output beyond the buffer is drained so privnuma never blocks on the pipe. */
			char rest[256];
			while (read(pipefd[0], rest, sizeof(rest)) > 0)
				;
		}
		break;
	}
	close(pipefd[0]);
	buffer[used] = '\0';
	while (used > 0 && buffer[used - 1] == '\n')
		buffer[--used] = '\0';
	int status;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int slurm_spank_task_post_fork(spank_t sp, int ac __attribute__((unused)), char **av __attribute__((unused)))
{
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups = NULL;
	int ngroups = 0;
	int task_id;
	int job_argc = 0;
	char **job_argv = NULL;

	/* The extern step's placeholder process is not a task: nothing of the user's runs there. */
	if (spank_get_item(sp, S_TASK_ID, &task_id) == ESPANK_NOT_TASK)
		return 0;
	if (spank_get_item(sp, S_TASK_PID, &pid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_TASK_ID, &task_id) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		slurm_error("privnuma: slurmstepd did not give the task's pid, id, uid and gid");
		return -1;
	}
	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &groups, &ngroups) != ESPANK_SUCCESS)
		ngroups = 0;
	if (spank_get_item(sp, S_JOB_ARGV, &job_argc, &job_argv) != ESPANK_SUCCESS)
		job_argc = 0;

	char pid_text[32], uid_text[32], local_id[48];
	snprintf(pid_text, sizeof(pid_text), "%d", (int) pid);
	snprintf(uid_text, sizeof(uid_text), "%u", (unsigned) uid);
	snprintf(local_id, sizeof(local_id), "SLURM_LOCALID=%d", task_id);

	/* The primary group first, then the supplementary ones: "100,2001,2002". */
	size_t gids_size = 12 * ((size_t) ngroups + 1);
	char *gids = malloc(gids_size);
	char **argv = calloc((size_t) job_argc + 6, sizeof(char *));
	if (gids == NULL || argv == NULL) {
		free(gids);
		free(argv);
		slurm_error("privnuma: out of memory");
		return -1;
	}
	size_t used = (size_t) snprintf(gids, gids_size, "%u", (unsigned) gid);
	for (int i = 0; i < ngroups; i++)
		used += (size_t) snprintf(gids + used, gids_size - used, ",%u", (unsigned) groups[i]);

	int n = 0;
	argv[n++] = "privnuma";
	argv[n++] = "__slurm-task";
	argv[n++] = pid_text;
	argv[n++] = uid_text;
	argv[n++] = gids;
	for (int i = 0; i < job_argc; i++)
		argv[n++] = job_argv[i];
	argv[n] = NULL;
	char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", local_id, NULL};

	char output[1024];
	int status = run_privnuma(argv, env, output, sizeof(output));
	free(gids);
	free(argv);
	if (status != 0) {
		slurm_error("privnuma: task %d (pid %d) not started: %s", task_id, (int) pid, output);
		return -1;
	}
	slurm_info("privnuma: task %d: %s", task_id, output);
	return 0;
}
