# What an operator would write for the benchmark layout (benchmarks/bench.py runs it): level from
# the level field; count / sum / sum of squares / min / max of every key=number pair. The value
# test is a cheap first-byte check (a full number regex per field costs mawk another 40%).
{
  n++
  if ($6 == "ERROR") e++; else if ($6 == "WARN") w++
  for (i = 7; i <= NF; i++) {
    p = index($i, "=")
    if (p > 1) {
      v = substr($i, p + 1)
      if (v ~ /^[-+.0-9]/) {
        k = substr($i, 1, p - 1); v += 0
        if (!(k in c)) { mn[k] = v; mx[k] = v }
        c[k]++; s[k] += v; q[k] += v * v
        if (v < mn[k]) mn[k] = v; if (v > mx[k]) mx[k] = v
      }
    }
  }
}
END {
  printf "lines %d %d %d\n", n, e, w
  for (k in c) printf "metric %s %d %.17g %.17g %.17g %.17g\n", k, c[k], s[k], q[k], mn[k], mx[k]
}
