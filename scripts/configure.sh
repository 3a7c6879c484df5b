# Sourced by scripts/demo.sh and scripts/test.sh.
# configure_preset PRESET LOG: cmake --preset PRESET, its output appended to LOG.
# A cache written by an earlier configure that ran before the compiler was
# installed keeps what that run could not detect (CMAKE_EXECUTABLE_FORMAT
# "Unknown", and the generate step then fails on the RPATH of installed
# targets); when a configure fails over an existing cache, it is tried once
# more from a fresh one before the failure is reported.
configure_preset() {
  local preset=$1 log=$2
  cmake --preset "$preset" >> "$log" 2>&1 && return 0
  [ -f "build/$preset/CMakeCache.txt" ] || return 1
  echo "configure: $preset failed over the cache in build/$preset; trying again from a fresh cache" | tee -a "$log"
  cmake --preset "$preset" --fresh >> "$log" 2>&1
}
