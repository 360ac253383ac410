# Sourced by the benchmarks (bash): the poller for a console's first TICK (bench/qemu_helper.py
# wait-tick), started and polling before the clock starts. A Python start costs these machines
# ~0.4 s of CPU: a poller started beside a timed command took that from the command, on two cores,
# while QEMU's own restore (timed inside one Python process already started) never paid it.
# Needs $root.

# start_tick_poller CONSOLE TICK_FILE: starts the poller; returns once it polls, with its pid in
# tick_poller.
start_tick_poller() {
  local ready="$2.ready"
  rm -f "$ready" "$2"
  python3 "$root/bench/qemu_helper.py" wait-tick "$1" "$2" "$ready" &
  tick_poller=$!
  while [ ! -e "$ready" ]; do
    kill -0 "$tick_poller" 2>/dev/null || { echo "bench: the TICK poller of $1 did not start" >&2; exit 1; }
    sleep 0.005
  done
}
