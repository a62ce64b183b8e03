// Prototype floor: minimal epoll relay (no accounting), loopback only. usage: eprelay LISTENPORT BACKENDPORT [THREADS]
#define _GNU_SOURCE
#include <sys/epoll.h>
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
static int lport, bport; static int peer[200000];
static void nodelay(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
static void *loop(void *arg) {
  (void)arg; static __thread char buf[BUF];
  int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one); setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(lport), .sin_addr.s_addr = htonl(0x7f000001) };
  if (bind(l, (void*)&a, sizeof a) || listen(l, 4096)) { perror("listen"); exit(1); }
  int ep = epoll_create1(0); struct epoll_event ev = { .events = EPOLLIN, .data.fd = l }; epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == l) {
        int c = accept4(l, NULL, NULL, 0); if (c < 0) continue;
        int b = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in ba = { .sin_family = AF_INET, .sin_port = htons(bport), .sin_addr.s_addr = htonl(0x7f000001) };
        if (connect(b, (void*)&ba, sizeof ba)) { close(c); close(b); continue; }
        nodelay(c); nodelay(b); peer[c] = b; peer[b] = c;
        ev.events = EPOLLIN; ev.data.fd = c; epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev); ev.data.fd = b; epoll_ctl(ep, EPOLL_CTL_ADD, b, &ev);
        continue;
      }
      ssize_t r = recv(fd, buf, BUF, MSG_DONTWAIT);
      if (r > 0) { ssize_t o = 0; while (o < r) { ssize_t w = send(peer[fd], buf + o, r - o, MSG_NOSIGNAL); if (w <= 0) break; o += w; } }
      else if (r == 0 || errno != EAGAIN) { int p = peer[fd]; epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); epoll_ctl(ep, EPOLL_CTL_DEL, p, NULL); close(fd); close(p); }
    }
  }
  return NULL;
}
int main(int argc, char **argv) {
  lport = atoi(argv[1]); bport = atoi(argv[2]); int t = argc > 3 ? atoi(argv[3]) : 2;
  pthread_t th[8]; for (int i = 0; i < t; i++) pthread_create(&th[i], NULL, loop, NULL);
  pthread_join(th[0], NULL); return 0;
}
