/* The client of the echo benchmark, the same for every server: C
 * connections, each sending a SIZE-byte message and waiting for all SIZE bytes
 * back before sending the next, for SECONDS after a one-second warm-up.
 * Prints the round trips per second and checks every byte that came back.
 *     echo_client PORT [CONNECTIONS=64] [SIZE=64] [SECONDS=5] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    int port = atoi(argv[1]);
    int conns = argc > 2 ? atoi(argv[2]) : 64;
    int size = argc > 3 ? atoi(argv[3]) : 64;
    double secs = argc > 4 ? atof(argv[4]) : 5.0;
    char* msg = malloc((size_t)size);
    for (int i = 0; i < size; ++i) msg[i] = (char)('a' + i % 26);
    int* got = calloc((size_t)conns, sizeof(int));
    int* fds = calloc((size_t)conns, sizeof(int));
    char* buf = malloc(65536);
    int ep = epoll_create1(0);
    int one = 1;
    for (int i = 0; i < conns; ++i) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(s, (struct sockaddr*)&a, sizeof a)) { perror("connect"); return 1; }
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fds[i] = s;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        if (write(s, msg, (size_t)size) != size) { perror("write"); return 1; }
    }
    long trips = 0, counted = 0;
    double start = now(), measure_from = start + 1.0, end = measure_from + secs;
    struct epoll_event evs[256];
    for (;;) {
        double t = now();
        if (t >= end) break;
        if (t >= measure_from && counted == 0) counted = trips ? trips : -1;
        int n = epoll_wait(ep, evs, 256, 1000);
        for (int k = 0; k < n; ++k) {
            int i = (int)evs[k].data.u32;
            ssize_t r = read(fds[i], buf, 65536);
            if (r <= 0) { fprintf(stderr, "connection %d closed by the server\n", i); return 1; }
            for (ssize_t j = 0; j < r; ++j)
                if (buf[j] != msg[(got[i] + j) % size]) { fprintf(stderr, "corrupt echo\n"); return 1; }
            got[i] += (int)r;
            while (got[i] >= size) {
                got[i] -= size;
                ++trips;
                if (write(fds[i], msg, (size_t)size) != size) { perror("write"); return 1; }
            }
        }
    }
    long measured = trips - (counted > 0 ? counted : 0);
    printf("%.0f\n", (double)measured / secs);
    return 0;
}
