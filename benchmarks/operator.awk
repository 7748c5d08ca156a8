# What an operator would write for the benchmark layout (benchmarks/bench.py runs it):
# level from the level field, count / sum / sum of squares / min / max of every key=number pair.
{
  n++
  if ($6 == "ERROR") e++; else if ($6 == "WARN") w++
  for (i = 7; i <= NF; i++) {
    if (split($i, kv, "=") == 2 && kv[2] ~ /^[-+.0-9]/) {
        k = kv[1]; v = kv[2] + 0
        if (!(k in c)) { mn[k] = v; mx[k] = v }
        c[k]++; s[k] += v; q[k] += v * v
        if (v < mn[k]) mn[k] = v; if (v > mx[k]) mx[k] = v
    }
  }
}
END {
  printf "lines %d %d %d\n", n, e, w
  for (k in c) printf "metric %s %d %.17g %.17g %.17g %.17g\n", k, c[k], s[k], q[k], mn[k], mx[k]
}
