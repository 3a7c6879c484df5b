// aio-test-labels: sync
// The test harness's own promises: a peer process never outlives its
// Process object, whatever it does with SIGTERM.
#include <gtest/gtest.h>

#include <signal.h>

#include <cerrno>
#include <string>

#include "support/support.hpp"

TEST(Process, APeerThatIgnoresSigtermIsKilledWhenItsProcessObjectEnds) {
    pid_t pid = -1;
    {
        aio::test::Process peer(
            "/usr/bin/python3 -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "print(\"ready\", flush=True); time.sleep(600)'");
        ASSERT_TRUE(peer.wait_printed("ready")) << peer.how_it_ended() << ": " << peer.output();
        pid = peer.pid();
    }
    // The destructor returned (it did not wait the 600 s out) and reaped the
    // peer: no such process any more.
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}

TEST(Process, APeerThatEndsOnSigtermIsReapedAtOnce) {
    pid_t pid = -1;
    {
        aio::test::Process peer("/usr/bin/python3 -c 'import time; print(\"ready\", flush=True); time.sleep(600)'");
        ASSERT_TRUE(peer.wait_printed("ready")) << peer.how_it_ended() << ": " << peer.output();
        pid = peer.pid();
    }
    errno = 0;
    EXPECT_EQ(::kill(pid, 0), -1);
    EXPECT_EQ(errno, ESRCH);
}
