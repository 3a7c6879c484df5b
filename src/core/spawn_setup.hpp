// posix_spawn's attribute and file-action objects, owned: released however a spawn ends.
#pragma once

#include <spawn.h>

namespace aio::detail {

/// Child processes (create_subprocess_exec, the process pool's workers) are
/// started with posix_spawn rather than fork(): glibc clones with
/// CLONE_VM|CLONE_VFORK, so nothing of this multi-threaded process is copied,
/// and a failed exec comes back as the return value.
struct SpawnSetup {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    SpawnSetup() {
        posix_spawnattr_init(&attr);
        posix_spawn_file_actions_init(&actions);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace aio::detail
