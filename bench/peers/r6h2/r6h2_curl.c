/* R6 over HTTP/2: 200,000 GETs of /1k with 100 streams in flight on one
 * HTTP/2 connection, libcurl's multi interface with multiplexing: https://
 * URLs negotiate h2 by ALPN (the certificate is not checked), http:// ones
 * use prior knowledge (whose connection reuse fails in Debian 12's curl
 * 7.88: "Error in the HTTP2 framing layer"; bench/r6h2_peers.sh runs curl
 * over TLS). Build (libcurl4-openssl-dev):
 *   cc -O2 -o r6h2_curl r6h2_curl.c -lcurl
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t sink(char* p, size_t size, size_t n, void* got) {
    (void)p;
    *(size_t*)got += size * n;
    return size * n;
}

struct slot {
    CURL* easy;
    size_t got;
};

static void start(CURLM* multi, struct slot* s, const char* url) {
    /* A fresh handle per request: a reset handle re-added to the multi fails
     * on the reused HTTP/2 connection in curl 7.88. */
    if (s->easy) curl_easy_cleanup(s->easy);
    s->easy = curl_easy_init();
    s->got = 0;
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    if (strncmp(url, "https:", 6) == 0) {
        curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(s->easy, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    }
    curl_easy_setopt(s->easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, &s->got);
    curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    curl_multi_add_handle(multi, s->easy);
}

int main(int argc, char** argv) {
    const char* url = argc > 1 ? argv[1] : "http://127.0.0.1:18080/1k";
    long n = argc > 2 ? atol(argv[2]) : 200000;
    enum { streams = 100 };
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM* multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, (long)streams);
    struct slot slots[streams];
    /* One request alone first: transfers added before the connection is up
     * fail in curl 7.88 with prior knowledge ("Error in the HTTP2 framing
     * layer"), so the connection is made, then reused by all. */
    slots[0].easy = NULL;
    start(multi, &slots[0], url);
    for (int running = 1; running;) {
        curl_multi_perform(multi, &running);
        if (running) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    CURLMsg* first;
    int pending;
    while ((first = curl_multi_info_read(multi, &pending)))
        if (first->msg == CURLMSG_DONE && first->data.result != CURLE_OK) {
            fprintf(stderr, "first request failed: %s\n", curl_easy_strerror(first->data.result));
            return 1;
        }
    curl_multi_remove_handle(multi, slots[0].easy);
    long started = 0, done = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < streams && started < n; ++i, ++started) {
        if (i > 0) slots[i].easy = NULL;
        start(multi, &slots[i], url);
    }
    while (done < n) {
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg* m;
        int left;
        while ((m = curl_multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            struct slot* s;
            long code = 0;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char**)&s);
            curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result != CURLE_OK || code != 200 || s->got != 1024) {
                fprintf(stderr, "request failed: %s %ld %zu\n", curl_easy_strerror(m->data.result), code, s->got);
                return 1;
            }
            curl_multi_remove_handle(multi, s->easy);
            ++done;
            if (started < n) {
                ++started;
                start(multi, s, url);
            }
        }
        if (done < n) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("RESULT %.6f req/s secs=%.3f\n", (double)n / dt, dt);
    return 0;
}
