// The load generator of bench/webhook.ts, run by Node with autocannon (NODE_PATH points at its install).
// Usage: node webhook_load.cjs URL CONNECTIONS WARMUP_S DURATION_S [SERVER_PID]
// POSTs {"name":"x","n":1}, checks every answer is {"name":"x","n":1,"greeting":"hello x"}, and prints one
// JSON line: requests, seconds, req/s, exact p50/p99 latency (ms, from autocannon's per-response hrtime
// durations, not its whole-millisecond histogram), non-2xx, mismatched bodies and errors; with SERVER_PID (Linux),
// the CPU time the server used during the measured run, ms (all its threads: utime + stime from /proc).
"use strict";
const autocannon = require("autocannon");

const [url, connections, warmup, duration, serverPid] = process.argv.slice(2);
const fs = require("node:fs");
/** The server's CPU time so far, ms (clock ticks of 10 ms), or NaN without a pid or /proc. */
const serverCpuMs = () => {
  try {
    const stat = fs.readFileSync(`/proc/${serverPid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
};
const EXPECTED = { name: "x", n: 1, greeting: "hello x" };
const verifyBody = (body) => {
  try {
    const v = JSON.parse(body);
    return v.name === EXPECTED.name && v.n === EXPECTED.n && v.greeting === EXPECTED.greeting &&
      Object.keys(v).length === 3;
  } catch {
    return false;
  }
};
const options = (seconds) => ({
  url,
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: "x", n: 1 }),
  connections: Number(connections),
  duration: Number(seconds),
  verifyBody,
});

function run(seconds, onResponse) {
  return new Promise((resolve, reject) => {
    let mismatches = 0;
    const started = process.hrtime.bigint();
    const instance = autocannon(options(seconds), (err, result) => {
      if (err) return reject(err);
      resolve({ result, mismatches, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
    instance.on("response", (_client, status, _bytes, ms) => onResponse?.(status, ms));
    instance.on("mismatch", () => mismatches++);
  });
}

const quantile = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;

(async () => {
  if (Number(warmup) > 0) await run(warmup);
  const times = [];
  const cpuBefore = serverCpuMs();
  const { result, mismatches, seconds } = await run(duration, (status, ms) => {
    if (status >= 200 && status < 300) times.push(ms);
  });
  const cpuMs = serverCpuMs() - cpuBefore;
  times.sort((a, b) => a - b);
  process.stdout.write(
    JSON.stringify({
      requests: times.length,
      seconds,
      rps: times.length / seconds,
      p50: quantile(times, 0.5),
      p99: quantile(times, 0.99),
      non2xx: result.non2xx,
      mismatches,
      errors: result.errors + result.timeouts,
      cpuMs,
    }) + "\n",
  );
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
