// create_subprocess_exec / _shell and Process: pipes, communicate, signals,
// errors; no descriptor or child outlives a test.
#include <gtest/gtest.h>

#include <aio/aio.hpp>

#include <sys/wait.h>

#include <csignal>

#include <fcntl.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "faults/sigpipe_recorder.hpp"
#include "support/support.hpp"
#include "support/raises.hpp"

using namespace std::chrono_literals;

namespace {
/// True when this process has no child left (none running, none unreaped).
bool no_children() {
    errno = 0;
    return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
}
}  // namespace

TEST(Subprocess, CommunicateWithPipes) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE, .stdout_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("cat", std::vector<std::string>(), pipes);
        EXPECT_GT(p.pid(), 0);
        auto [out, err] = co_await p.communicate("hello from aio\n");
        EXPECT_EQ(out, "hello from aio\n");
        EXPECT_EQ(err, "");
        EXPECT_EQ(p.returncode(), 0);
    }());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(Subprocess, TheChildGetsTheDefaultSigpipeBack) {
    // As the first loop leaves it when the program had no SIGPIPE handler.
    auto before = ::signal(SIGPIPE, SIG_IGN);
    aio::run([]() -> aio::Task<> {
        // The child reads its own ignored-signals mask (bit 12 is SIGPIPE, signal 13).
        aio::SubprocessOptions pipes{.stdout_ = aio::PIPE};
        std::vector<std::string> args{"SigIgn", "/proc/self/status"};
        auto p = co_await aio::create_subprocess_exec("grep", args, pipes);
        auto [out, err] = co_await p.communicate();
        EXPECT_EQ(out.rfind("SigIgn:", 0), 0u) << out;
        unsigned long long ignored = out.size() > 7 ? std::stoull(out.substr(7), nullptr, 16) : ~0ull;
        EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << out;
    }());
    ::signal(SIGPIPE, before);
}

TEST(Subprocess, LargeInputAndOutputDoNotDeadlock) {
    aio::run([]() -> aio::Task<> {
        std::string input(8 << 20, 'z');
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE, .stdout_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("cat", std::vector<std::string>(), pipes);
        auto [out, err] = co_await p.communicate(input);
        EXPECT_EQ(out.size(), input.size());
        EXPECT_TRUE(out == input);
    }());
}

TEST(Subprocess, StreamingGigabytesKeepsTheLoopFree) {
    aio::run([]() -> aio::Task<> {
        std::vector<std::string> args{"-c", "300000000", "/dev/zero"};
        aio::SubprocessOptions out{.stdout_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("head", args, out);
        std::size_t total = 0;
        int ticks = 0;
        auto ticker = [&]() -> aio::Task<> {
            while (true) {
                co_await aio::sleep(1ms);
                ++ticks;
            }
        };
        auto t = aio::create_task(ticker());
        while (true) {
            std::string chunk = co_await p.stdout_()->read(1 << 16);
            if (chunk.empty()) break;
            total += chunk.size();
        }
        EXPECT_EQ(total, 300000000u);
        auto status = co_await p.wait();
        EXPECT_EQ(status, 0);
        EXPECT_GT(ticks, 0);  // other tasks ran meanwhile
        t.cancel();
    }());
}

TEST(Subprocess, ShellStderrIntoStdoutAndExitCodes) {
    aio::run([]() -> aio::Task<> {
        aio::SubprocessOptions merged{.stdout_ = aio::PIPE, .stderr_ = aio::STDOUT};
        auto p = co_await aio::create_subprocess_shell("echo out; echo err 1>&2; exit 3", merged);
        auto [out, err] = co_await p.communicate();
        EXPECT_EQ(out, "out\nerr\n");
        EXPECT_EQ(p.returncode(), 3);
        aio::SubprocessOptions hidden{.stdout_ = aio::DEVNULL, .stderr_ = aio::PIPE};
        auto q = co_await aio::create_subprocess_shell("echo hidden", hidden);
        auto [o2, e2] = co_await q.communicate();
        EXPECT_EQ(o2, "");
        EXPECT_EQ(e2, "");
    }());
}

TEST(Subprocess, EnvAndCwd) {
    aio::run([]() -> aio::Task<> {
        aio::SubprocessOptions opts{.stdout_ = aio::PIPE, .cwd = "/tmp",
                                    .env = std::map<std::string, std::string>{{"GREETING", "hi"}}};
        auto p = co_await aio::create_subprocess_shell("echo $GREETING; pwd", opts);
        auto [out, err] = co_await p.communicate();
        EXPECT_EQ(out, "hi\n/tmp\n");
    }());
}

TEST(Subprocess, SignalsGiveNegativeReturnCodes) {
    aio::run([]() -> aio::Task<> {
        std::vector<std::string> args{"100"};
        auto p = co_await aio::create_subprocess_exec("sleep", args);
        EXPECT_FALSE(p.returncode());
        p.terminate();
        auto status = co_await p.wait();
        EXPECT_EQ(status, -SIGTERM);
        EXPECT_THROW(p.kill(), aio::ProcessLookupError);
    }());
    EXPECT_TRUE(no_children());
}

TEST(Subprocess, AMissingProgramIsAFileNotFoundError) {
    aio::run([]() -> aio::Task<> {
        try {
            co_await aio::create_subprocess_exec("/no/such/program-aio");
            ADD_FAILURE();
        } catch (const aio::FileNotFoundError& e) {
            EXPECT_NE(std::string(e.what()).find("/no/such/program-aio"), std::string::npos);
        }
    }());
    EXPECT_TRUE(no_children());
}

// A working directory that does not exist: FileNotFoundError naming it, no
// child left behind, no descriptor lost.
TEST(Subprocess, AMissingWorkingDirectoryIsAFileNotFoundError) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        aio::SubprocessOptions opts{.stdout_ = aio::PIPE, .cwd = "/no/such/dir-aio"};
        try {
            auto start = aio::create_subprocess_exec("true", std::vector<std::string>{}, opts);
            co_await std::move(start);
            ADD_FAILURE();
        } catch (const aio::FileNotFoundError& e) {
            EXPECT_NE(std::string(e.what()).find("/no/such/dir-aio"), std::string::npos) << e.what();
        }
    }());
    EXPECT_TRUE(no_children());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

// Strings with a NUL byte, which exec would cut short without a word (an
// argument "a\0b" reached the child as "a"), and environment names exec
// cannot carry: ValueError, as Python's. A stream descriptor that is not open
// was left out of the child's setup silently (it inherited this process's
// stream): OSError EBADF. No child starts, no descriptor is lost.
TEST(Subprocess, ArgumentsExecCannotCarryAreErrorsNotTruncations) {
    int fds = aio::test::count_open_fds();
    aio::run([]() -> aio::Task<> {
        using Opts = aio::SubprocessOptions;
        using Env = std::map<std::string, std::string>;
        const std::string nul("a\0b", 3);
        struct Case {
            const char* name;
            std::string program;
            std::vector<std::string> args;
            Opts opts;
            std::string expected;
        };
        std::vector<Case> cases;
        cases.push_back({"program", "ec" + nul, {}, Opts{}, "embedded null byte"});
        cases.push_back({"argument", "echo", {"x", nul}, Opts{.stdout_ = aio::PIPE}, "embedded null byte"});
        cases.push_back({"cwd", "true", {}, Opts{.cwd = "/tmp/" + nul}, "embedded null byte"});
        cases.push_back({"env value", "true", {}, Opts{.env = Env{{"A", nul}}}, "embedded null byte"});
        cases.push_back({"env name", "true", {}, Opts{.env = Env{{nul, "v"}}}, "embedded null byte"});
        cases.push_back({"env name with =", "true", {}, Opts{.env = Env{{"A=B", "v"}}}, "illegal environment variable name: 'A=B'"});
        cases.push_back({"empty env name", "true", {}, Opts{.env = Env{{"", "v"}}}, "illegal environment variable name: ''"});
        for (Case& c : cases) {
            auto start = aio::create_subprocess_exec(c.program, c.args, c.opts);
            auto raised = co_await aio::test::raises<aio::ValueError>(std::move(start));
            EXPECT_EQ(raised.value_or("no ValueError"), c.expected) << c.name;
        }
        auto shell = co_await aio::test::raises<aio::ValueError>(aio::create_subprocess_shell("echo " + nul));
        EXPECT_EQ(shell.value_or("no ValueError"), "embedded null byte");

        int closed_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        ::close(closed_fd);
        const int bad_fds[] = {-5, closed_fd, 99999};
        for (int bad : bad_fds) {
            Opts o{.stdout_ = bad};
            auto start = aio::create_subprocess_exec("true", std::vector<std::string>{}, o);
            auto raised = co_await aio::test::raises<aio::OSError>(std::move(start));
            EXPECT_NE(raised.value_or("").find("[Errno 9]"), std::string::npos) << bad << ": " << raised.value_or("no OSError");
        }
    }());
    EXPECT_TRUE(no_children());
    EXPECT_EQ(aio::test::count_open_fds(), fds);
}

TEST(Subprocess, CancellingCommunicateKillsNothing) {
    aio::run([]() -> aio::Task<> {
        std::vector<std::string> args{"100"};
        aio::SubprocessOptions out{.stdout_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("sleep", args, out);
        auto waiting = aio::create_task(p.communicate());
        co_await aio::sleep(10ms);
        waiting.cancel();
        {  // expects aio::CancelledError
            auto raised = co_await aio::test::raises<aio::CancelledError>(waiting);
            EXPECT_TRUE(raised.has_value()) << "waiting did not throw aio::CancelledError";
        }
        EXPECT_FALSE(p.returncode());  // still running
        p.kill();
        auto status = co_await p.wait();
        EXPECT_EQ(status, -SIGKILL);
    }());
    EXPECT_TRUE(no_children());
}

TEST(Subprocess, ADroppedProcessIsReapedByTheLoop) {
    aio::run([]() -> aio::Task<> {
        {
            std::vector<std::string> args{"-c", "sleep 0.05"};
            auto p = co_await aio::create_subprocess_exec("sh", args);
        }
        co_await aio::sleep(300ms);
    }());
    EXPECT_TRUE(no_children());
}

TEST(Subprocess, AProcessAssignedOverIsReapedByTheLoopToo) {
    aio::run([]() -> aio::Task<> {
        std::vector<std::string> slow{"-c", "sleep 0.05"};
        std::vector<std::string> quick{"-c", "exit 3"};
        auto p = co_await aio::create_subprocess_exec("sh", slow);
        auto q = co_await aio::create_subprocess_exec("sh", quick);
        pid_t taken = q.pid();
        p = std::move(q);  // the running `sleep` is let go, as a dropped Process is
        EXPECT_EQ(p.pid(), taken);
        int status = co_await p.wait();
        EXPECT_EQ(status, 3);
        co_await aio::sleep(300ms);
    }());
    EXPECT_TRUE(no_children());
}

// A pipe has no MSG_NOSIGNAL: writing to one whose reader is gone raised
// SIGPIPE, which (at SIG_DFL) ended this process. Now it is BrokenPipeError
// at the writer, and communicate() ignores it as asyncio does.
TEST(Subprocess, CommunicateWithAChildThatDoesNotReadItsInputCompletes) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE, .stdout_ = aio::PIPE, .stderr_ = aio::PIPE};
        std::vector<std::string> args{"-c", "echo bye"};
        auto p = co_await aio::create_subprocess_exec("/bin/sh", args, pipes);
        auto [out, err] = co_await p.communicate(std::string(1 << 20, 'i'));
        EXPECT_EQ(out, "bye\n");
        EXPECT_EQ(err, "");
        EXPECT_EQ(p.returncode(), 0);
        auto t = co_await aio::create_subprocess_exec("true", std::vector<std::string>(), pipes);
        auto [out2, err2] = co_await t.communicate(std::string(1 << 20, 'i'));
        EXPECT_EQ(out2, "");
        EXPECT_EQ(t.returncode(), 0);
        signals = sigpipe.deliveries();
    }());
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

TEST(Subprocess, WritingToTheStdinOfAChildThatExitedIsBrokenPipeError) {
    int fds = aio::test::count_open_fds();
    int signals = -1;
    aio::run([&]() -> aio::Task<> {
        aio::test::SigpipeRecorder sigpipe;
        aio::SubprocessOptions pipes{.stdin_ = aio::PIPE};
        auto p = co_await aio::create_subprocess_exec("true", std::vector<std::string>(), pipes);
        auto status = co_await p.wait();
        EXPECT_EQ(status, 0);
        std::string message;
        try {
            p.stdin_()->write("nobody reads this\n");
            co_await p.stdin_()->drain();
            ADD_FAILURE() << "a write to a dead child's stdin succeeded";
        } catch (const aio::BrokenPipeError& e) {
            message = e.what();
        }
        EXPECT_NE(message.find("pipe"), std::string::npos) << message;
        signals = sigpipe.deliveries();
    }());
    EXPECT_EQ(signals, 0);
    EXPECT_EQ(aio::test::count_open_fds(), fds);
    EXPECT_TRUE(no_children());
}

// A DEVNULL stdin was opened without O_CLOEXEC: the child kept that
// descriptor open past exec (as did any child another thread started then).
TEST(Subprocess, DevnullDescriptorsDoNotReachTheChildBeyondItsStdio) {
    aio::run([]() -> aio::Task<> {
        aio::SubprocessOptions opts{.stdin_ = aio::DEVNULL, .stdout_ = aio::PIPE, .stderr_ = aio::DEVNULL};
        std::set<int> inherited_anyway;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
            int fd = std::stoi(entry.path().filename().string());
            int flags = ::fcntl(fd, F_GETFD);
            if (flags >= 0 && !(flags & FD_CLOEXEC)) inherited_anyway.insert(fd);
        }
        // ls itself, not a shell (dash keeps a copy of its stdin on fd 10).
        std::vector<std::string> args{"-l", "/proc/self/fd"};
        auto p = co_await aio::create_subprocess_exec("ls", args, opts);
        auto [out, err] = co_await p.communicate();
        // "lr-x------ 1 u u 64 ... 7 -> /dev/null": every such fd above 2 leaked.
        std::vector<int> leaked;
        std::istringstream lines(out);
        for (std::string line; std::getline(lines, line);) {
            auto arrow = line.find(" -> /dev/null");
            if (arrow == std::string::npos) continue;
            auto space = line.rfind(' ', arrow - 1);
            int fd = std::stoi(line.substr(space + 1, arrow - space - 1));
            // Above 2, and not one this process had open without close-on-exec
            // before (the test's own environment may hand it such descriptors).
            if (fd > 2 && !inherited_anyway.count(fd)) leaked.push_back(fd);
        }
        EXPECT_TRUE(leaked.empty()) << "descriptors of /dev/null the child inherited:\n" << out;
        EXPECT_NE(out.find("0 -> /dev/null"), std::string::npos) << out;
        EXPECT_EQ(p.returncode(), 0);
    }());
}
