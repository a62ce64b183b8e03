// Prototype: sockmap splice relay, loopback only. usage: smrelay LISTENPORT BACKENDPORT
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <errno.h>
static long bpf(int cmd, union bpf_attr *a) { return syscall(__NR_bpf, cmd, a, sizeof(*a)); }
#define INSN(c,d,s,o,i) ((struct bpf_insn){c,d,s,o,i})
int mapfd, peer[70000];
static int key_of(int fd, unsigned long long *key) {
  struct sockaddr_in l, r; socklen_t n = sizeof l;
  getsockname(fd, (void*)&l, &n); n = sizeof r; getpeername(fd, (void*)&r, &n);
  unsigned int k[2] = { ntohs(l.sin_port), (unsigned int)r.sin_port << 16 };
  memcpy(key, k, 8); return 0;
}
static int put(int fd, int target) {
  unsigned long long key; key_of(fd, &key);
  union bpf_attr a = {0}; a.map_fd = mapfd; a.key = (unsigned long)&key; a.value = (unsigned long)&target; a.flags = BPF_ANY;
  if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) { perror("update"); return -1; }
  return 0;
}
int main(int argc, char **argv) {
  int lport = atoi(argv[1]), bport = atoi(argv[2]);
  union bpf_attr a = {0};
  a.map_type = BPF_MAP_TYPE_SOCKHASH; a.key_size = 8; a.value_size = 4; a.max_entries = 65536;
  mapfd = bpf(BPF_MAP_CREATE, &a); if (mapfd < 0) { perror("map"); return 1; }
  struct bpf_insn prog[] = {
    INSN(BPF_LDX|BPF_MEM|BPF_W, 2, 1, offsetof(struct __sk_buff, local_port), 0),
    INSN(BPF_STX|BPF_MEM|BPF_W, 10, 2, -8, 0),
    INSN(BPF_LDX|BPF_MEM|BPF_W, 2, 1, offsetof(struct __sk_buff, remote_port), 0),
    INSN(BPF_STX|BPF_MEM|BPF_W, 10, 2, -4, 0),
    INSN(BPF_LD|BPF_DW|BPF_IMM, 2, BPF_PSEUDO_MAP_FD, 0, mapfd), INSN(0,0,0,0,0),
    INSN(BPF_ALU64|BPF_MOV|BPF_X, 3, 10, 0, 0),
    INSN(BPF_ALU64|BPF_ADD|BPF_K, 3, 0, 0, -8),
    INSN(BPF_ALU64|BPF_MOV|BPF_K, 4, 0, 0, 0),
    INSN(BPF_JMP|BPF_CALL, 0, 0, 0, BPF_FUNC_sk_redirect_hash),
    INSN(BPF_JMP|BPF_EXIT, 0, 0, 0, 0),
  };
  static char log[65536];
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SK_SKB; a.insns = (unsigned long)prog; a.insn_cnt = sizeof prog / sizeof prog[0];
  a.license = (unsigned long)"GPL"; a.log_buf = (unsigned long)log; a.log_size = sizeof log; a.log_level = 1;
  int progfd = bpf(BPF_PROG_LOAD, &a); if (progfd < 0) { perror("prog"); fputs(log, stderr); return 1; }
  memset(&a, 0, sizeof a); a.target_fd = mapfd; a.attach_bpf_fd = progfd; a.attach_type = BPF_SK_SKB_STREAM_VERDICT;
  if (bpf(BPF_PROG_ATTACH, &a) < 0) { perror("attach"); return 1; }
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1; setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 4);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(lport), .sin_addr.s_addr = htonl(0x7f000001) };
  if (bind(ls, (void*)&sa, sizeof sa) || listen(ls, 4096)) { perror("listen"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls }; epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256]; long conns = 0;
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c = accept(ls, 0, 0); if (c < 0) continue;
        int u = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in ba = { .sin_family = AF_INET, .sin_port = htons(bport), .sin_addr.s_addr = htonl(0x7f000001) };
        if (connect(u, (void*)&ba, sizeof ba)) { perror("connect"); close(c); close(u); continue; }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4); setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        if (put(c, u) || put(u, c)) { close(c); close(u); continue; }
        setsockopt(c, SOL_SOCKET, SO_RCVLOWAT, &one, 4); setsockopt(u, SOL_SOCKET, SO_RCVLOWAT, &one, 4); // kick
        peer[c] = u; peer[u] = c; conns++;
        struct epoll_event e1 = { .events = EPOLLRDHUP, .data.fd = c }, e2 = { .events = EPOLLRDHUP, .data.fd = u };
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &e1); epoll_ctl(ep, EPOLL_CTL_ADD, u, &e2);
      } else {
        int p = peer[fd]; if (p < 0) continue;
        peer[fd] = -1; peer[p] = -1; close(fd); close(p); // prototype: either side's FIN ends both
      }
    }
  }
}
