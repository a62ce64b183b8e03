// Prototype: io_uring relay, loopback only. usage: iorelay LISTENPORT BACKENDPORT [THREADS] [LINK]
#define _GNU_SOURCE
#include <liburing.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#define BUF 65536
enum { ACCEPT = 1, RECV = 2, SEND = 3 };
struct conn { int fd[2]; char *buf[2]; int len[2]; int dead; };
static int lport, bport, uselink;
static unsigned long long tag(struct conn *c, int dir, int kind) { return (unsigned long long)c | (dir << 2) | kind; }
static void nodelay(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
static struct io_uring_sqe *sqe(struct io_uring *r) {
  struct io_uring_sqe *s = io_uring_get_sqe(r);
  if (!s) { io_uring_submit(r); s = io_uring_get_sqe(r); }
  return s;
}
static void post_recv(struct io_uring *r, struct conn *c, int d) {
  struct io_uring_sqe *s = sqe(r); io_uring_prep_recv(s, c->fd[d], c->buf[d], BUF, 0); io_uring_sqe_set_data64(s, tag(c, d, RECV));
}
static void *loop(void *arg) {
  (void)arg;
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one); setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lport), .sin_addr.s_addr = htonl(0x7f000001) };
  if (bind(l, (void*)&a, sizeof a) || listen(l, 4096)) { perror("listen"); exit(1); }
  struct io_uring ring; struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(4096, &ring, &p)) { memset(&p, 0, sizeof p); if (io_uring_queue_init_params(4096, &ring, &p)) { perror("ring"); exit(1); } fprintf(stderr, "no DEFER_TASKRUN\n"); }
  struct io_uring_sqe *s = sqe(&ring); io_uring_prep_multishot_accept(s, l, NULL, NULL, 0); io_uring_sqe_set_data64(s, ACCEPT);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *cqe; unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      n++;
      unsigned long long u = cqe->user_data; int res = cqe->res;
      int kind = u & 3, d = (u >> 2) & 1; struct conn *c = (struct conn *)(u & ~7ULL);
      if (kind == ACCEPT) {
        if (res < 0) { fprintf(stderr, "accept %d\n", res); continue; }
        if (!(cqe->flags & IORING_CQE_F_MORE)) { s = sqe(&ring); io_uring_prep_multishot_accept(s, l, NULL, NULL, 0); io_uring_sqe_set_data64(s, ACCEPT); }
        int b = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in ba = { .sin_family = AF_INET, .sin_port = htons(bport), .sin_addr.s_addr = htonl(0x7f000001) };
        if (connect(b, (void*)&ba, sizeof ba)) { perror("connect"); close(res); close(b); continue; }
        nodelay(res); nodelay(b);
        c = calloc(1, sizeof *c); c->fd[0] = res; c->fd[1] = b; c->buf[0] = malloc(BUF); c->buf[1] = malloc(BUF);
        post_recv(&ring, c, 0); post_recv(&ring, c, 1);
      } else if (kind == RECV) {
        if (res == -ECANCELED && !c->dead) { post_recv(&ring, c, d); continue; }
        if (res <= 0) { if (!c->dead) { c->dead = 1; shutdown(c->fd[0], SHUT_RDWR); shutdown(c->fd[1], SHUT_RDWR); } else { close(c->fd[0]); close(c->fd[1]); } continue; }
        c->len[d] = res;
        s = sqe(&ring); io_uring_prep_send(s, c->fd[!d], c->buf[d], res, MSG_NOSIGNAL | MSG_WAITALL); io_uring_sqe_set_data64(s, tag(c, d, SEND));
        if (uselink) { s->flags |= IOSQE_IO_LINK; post_recv(&ring, c, d); }
      } else if (kind == SEND) {
        if (res != c->len[d]) { if (!c->dead) { c->dead = 1; shutdown(c->fd[0], SHUT_RDWR); shutdown(c->fd[1], SHUT_RDWR); } continue; }
        if (!uselink && !c->dead) post_recv(&ring, c, d);
      }
    }
    io_uring_cq_advance(&ring, n);
  }
  return NULL;
}
int main(int argc, char **argv) {
  lport = atoi(argv[1]); bport = atoi(argv[2]); int t = argc > 3 ? atoi(argv[3]) : 2; uselink = argc > 4 ? atoi(argv[4]) : 1;
  pthread_t th[8]; for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, loop, NULL);
  pthread_join(th[0], NULL); return 0;
}
