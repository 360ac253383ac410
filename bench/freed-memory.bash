# Sourced by bench/session and bench/remote: how this machine treats memory a process frees, which
# sets what QEMU's restore costs (it writes 256 MiB of guest RAM that was free a moment before).
# These machines are VMs whose kernel reports freed memory to the hypervisor (free page reporting),
# which takes it back: the next first touch of it faults into the hypervisor. Measured here, QEMU's
# own restore of one state: 0.19-0.30 s with freed memory held back 60 s, 0.30-0.93 s without, the
# first restore after a pause the slowest. A PC without a hypervisor keeps freed memory.
#
# freed_memory      prints one line saying which (for the figures and the JSON)
# HOLD_FREED_MEMORY=1  (root, where the kernel has the setting) holds freed memory back 60 s for
#                   the run, as such a PC does; release_freed_memory, called on exit, puts the
#                   setting back
freed_memory_setting=/sys/module/page_reporting/parameters/min_free_ms
freed_memory_was=""

freed_memory() {
  local order=/sys/module/page_reporting/parameters/page_reporting_order
  if [ ! -r "$order" ]; then
    echo "kept (this kernel reports no free pages to a hypervisor)"
  elif [ -r "$freed_memory_setting" ]; then
    echo "reported to the hypervisor once free $(cat "$freed_memory_setting") ms (page_reporting order $(cat "$order"))"
  else
    echo "reported to the hypervisor (page_reporting order $(cat "$order"))"
  fi
}

hold_freed_memory() {
  [ "${HOLD_FREED_MEMORY:-}" = 1 ] || return 0
  if [ ! -w "$freed_memory_setting" ]; then
    echo "bench: HOLD_FREED_MEMORY=1 needs root and $freed_memory_setting" >&2
    exit 5
  fi
  freed_memory_was="$(cat "$freed_memory_setting")"
  echo 60000 >"$freed_memory_setting"
}

release_freed_memory() {
  if [ -n "$freed_memory_was" ]; then
    echo "$freed_memory_was" >"$freed_memory_setting"
  fi
}
