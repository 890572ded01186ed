# Sourced by the benchmark scripts: `measure COMMAND...` runs it under
# /usr/bin/time -v (its output discarded) and prints "wall_s rss_mb"; the
# caller sets `work`, where the time log is kept.
measure() { # command... -> prints "wall_s rss_mb"
  local log="$work/time.log"
  /usr/bin/time -v "$@" > /dev/null 2> "$log"
  python3 - "$log" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", text).group(1)
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
print(f"{seconds:.2f} {rss:.0f}")
PY
}
