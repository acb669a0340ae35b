/* fakefs MOUNTPOINT NAME CONTENT UID: a FUSE file system, spoken over /dev/fuse with the
 * kernel's own protocol (no libfuse), that shows one directory holding one file NAME
 * with the bytes of the file CONTENT, both owned by root with modes 0755 and 0644:
 * what a user who mounts FUSE through fusermount can present.  It mounts itself at
 * MOUNTPOINT as a mount made for UID (user_id=UID, as fusermount records it), then
 * serves in the background until unmounted.  For the trust scenario of the VM suite. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char name[256];
static char content[65536];
static size_t content_size;

static void attributes(uint64_t node, struct fuse_attr *attr) {
  memset(attr, 0, sizeof *attr);
  attr->ino = node;
  attr->uid = 0;
  attr->gid = 0;
  attr->blksize = 4096;
  if (node == FUSE_ROOT_ID) {
    attr->mode = S_IFDIR | 0755;
    attr->nlink = 2;
  } else {
    attr->mode = S_IFREG | 0644;
    attr->nlink = 1;
    attr->size = content_size;
    attr->blocks = (content_size + 511) / 512;
  }
}

static void reply(int fd, uint64_t unique, int error, const void *data, size_t size) {
  char buffer[sizeof(struct fuse_out_header) + 65536 + 4096];
  struct fuse_out_header *out = (struct fuse_out_header *)buffer;
  if (size > sizeof buffer - sizeof *out) size = sizeof buffer - sizeof *out;
  out->len = sizeof *out + (error ? 0 : size);
  out->error = error;
  out->unique = unique;
  if (!error && size) memcpy(buffer + sizeof *out, data, size);
  if (write(fd, buffer, out->len) < 0 && errno != ENOENT) perror("fakefs: reply");
}

/* One directory entry in the kernel's layout, padded to 8 bytes. */
static size_t dirent_at(char *buffer, size_t room, uint64_t ino, uint64_t off, const char *entry, uint32_t type) {
  size_t length = strlen(entry);
  size_t size = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + length);
  if (size > room) return 0;
  memset(buffer, 0, size);
  struct fuse_dirent *dirent = (struct fuse_dirent *)buffer;
  dirent->ino = ino;
  dirent->off = off;
  dirent->namelen = length;
  dirent->type = type;
  memcpy(dirent->name, entry, length);
  return size;
}

static void serve(int fd) {
  static char request[FUSE_MIN_READ_BUFFER + 65536];
  for (;;) {
    ssize_t got = read(fd, request, sizeof request);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ENOENT) continue;
      return; /* ENODEV: unmounted */
    }
    struct fuse_in_header *in = (struct fuse_in_header *)request;
    void *argument = request + sizeof *in;
    switch (in->opcode) {
    case FUSE_INIT: {
      struct fuse_init_out init = {0};
      init.major = FUSE_KERNEL_VERSION;
      init.minor = 31;
      init.max_readahead = ((struct fuse_init_in *)argument)->max_readahead;
      init.max_write = 65536;
      init.max_background = 1;
      init.congestion_threshold = 1;
      init.time_gran = 1;
      reply(fd, in->unique, 0, &init, sizeof init);
      break;
    }
    case FUSE_LOOKUP: {
      if (in->nodeid != FUSE_ROOT_ID || strcmp((char *)argument, name) != 0) {
        reply(fd, in->unique, -ENOENT, NULL, 0);
        break;
      }
      struct fuse_entry_out entry = {0};
      entry.nodeid = 2;
      entry.entry_valid = entry.attr_valid = 1;
      attributes(2, &entry.attr);
      reply(fd, in->unique, 0, &entry, sizeof entry);
      break;
    }
    case FUSE_GETATTR: {
      struct fuse_attr_out attr = {0};
      attr.attr_valid = 1;
      attributes(in->nodeid, &attr.attr);
      reply(fd, in->unique, 0, &attr, sizeof attr);
      break;
    }
    case FUSE_OPEN:
    case FUSE_OPENDIR: {
      struct fuse_open_out open = {0};
      reply(fd, in->unique, 0, &open, sizeof open);
      break;
    }
    case FUSE_READDIR: {
      struct fuse_read_in *read_in = argument;
      char buffer[4096];
      size_t used = 0, room = read_in->size < sizeof buffer ? read_in->size : sizeof buffer;
      const char *entries[] = {".", "..", name};
      uint64_t inodes[] = {FUSE_ROOT_ID, FUSE_ROOT_ID, 2};
      for (uint64_t i = read_in->offset; i < 3; i++) {
        size_t size = dirent_at(buffer + used, room - used, inodes[i], i + 1, entries[i], i < 2 ? S_IFDIR >> 12 : S_IFREG >> 12);
        if (!size) break;
        used += size;
      }
      reply(fd, in->unique, 0, buffer, used);
      break;
    }
    case FUSE_READ: {
      struct fuse_read_in *read_in = argument;
      size_t offset = read_in->offset < content_size ? read_in->offset : content_size;
      size_t size = content_size - offset < read_in->size ? content_size - offset : read_in->size;
      reply(fd, in->unique, 0, content + offset, size);
      break;
    }
    case FUSE_STATFS: {
      struct fuse_statfs_out statfs = {0};
      statfs.st.bsize = statfs.st.frsize = 4096;
      statfs.st.namelen = 255;
      reply(fd, in->unique, 0, &statfs, sizeof statfs);
      break;
    }
    case FUSE_RELEASE:
    case FUSE_RELEASEDIR:
    case FUSE_FLUSH:
    case FUSE_ACCESS:
      reply(fd, in->unique, 0, NULL, 0);
      break;
    case FUSE_FORGET:
    case FUSE_BATCH_FORGET:
    case FUSE_INTERRUPT:
      break;
    case FUSE_DESTROY:
      reply(fd, in->unique, 0, NULL, 0);
      return;
    default:
      reply(fd, in->unique, -ENOSYS, NULL, 0);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: fakefs MOUNTPOINT NAME CONTENT UID\n");
    return 2;
  }
  snprintf(name, sizeof name, "%s", argv[2]);
  int file = open(argv[3], O_RDONLY);
  if (file < 0) {
    perror(argv[3]);
    return 1;
  }
  ssize_t got = read(file, content, sizeof content);
  close(file);
  if (got < 0) {
    perror(argv[3]);
    return 1;
  }
  content_size = (size_t)got;
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    perror("fakefs: /dev/fuse");
    return 1;
  }
  char options[256];
  snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=%s,group_id=%s,allow_other", fd, argv[4], argv[4]);
  if (mount("fakefs", argv[1], "fuse.fakefs", MS_NOSUID | MS_NODEV, options) != 0) {
    perror("fakefs: mount");
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    perror("fakefs: fork");
    return 1;
  }
  if (pid > 0) return 0;
  setsid();
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
  }
  serve(fd);
  return 0;
}
