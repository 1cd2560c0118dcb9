# Sourced by the load-test scripts: CPU-seconds (user + system) read from /proc.

# proc_cpu PID -> of one process.
proc_cpu() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }

# pg_cpu PGDATA -> of a whole PostgreSQL server: the postmaster with the children it has reaped (a backend that exited
# between two readings), and the children still running (backends, the WAL writer, the checkpointer).
pg_cpu() {
  local pm; pm=$(head -1 "$1/postmaster.pid")
  { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15 + $16 + $17) / t}' "/proc/$pm/stat"
    for p in $(pgrep -P "$pm"); do proc_cpu "$p" 2>/dev/null || true; done
  } | awk '{ s += $1 } END { print s }'
}
