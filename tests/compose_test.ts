/**
 * `examples/compose.yaml`, the distributed mode's Compose example
 * (docs/scale-out.md), cannot run here; this checks what it must say: Redis
 * (no eviction, append-only), PostgreSQL, a migration first, 2 API servers and
 * 3 workers running `flow` commands that the CLI parses, with the queue and
 * database URLs, the same workflow folder everywhere, a stop grace longer than
 * `--grace`, and a reverse proxy balancing over both API servers whose
 * health checks send a Host the servers accept.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { parseCommandLine } from "../cli/args.ts";
import { PROGRAM } from "../cli/commands.ts";
import { parseDuration } from "../src/duration.ts";
import { HostPolicy } from "../server/guard.ts";
import { ROOT } from "./helpers.ts";

interface Service {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  stop_grace_period?: string;
  ports?: string[];
  configs?: { source: string; target: string }[];
}

const compose = parse(await Deno.readTextFile(`${ROOT}examples/compose.yaml`), { merge: true }) as {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
};
const { services } = compose;
const apis = ["api-1", "api-2"];
const workers = ["worker-1", "worker-2", "worker-3"];

/** The options of a service's `flow` command, as the CLI parses them. */
function flowOptions(name: string): { path: string; options: Record<string, unknown>; args: Record<string, unknown> } {
  const command = services[name].command!;
  assert.equal(command[0], "flow", `${name} runs flow`);
  const parsed = parseCommandLine(PROGRAM, command.slice(1));
  assert.equal(parsed.kind, "run", `${name}: ${command.join(" ")}`);
  if (parsed.kind !== "run") throw new Error("unreachable");
  return { path: parsed.command.name, options: parsed.invocation.options, args: parsed.invocation.args };
}

Deno.test("compose.yaml: Redis, PostgreSQL, a migration, 2 API servers, 3 workers and a proxy", () => {
  assert.deepEqual(
    Object.keys(services).sort(),
    ["api-1", "api-2", "migrate", "postgres", "proxy", "redis", "worker-1", "worker-2", "worker-3"],
  );
  const redis = services.redis.command!.join(" ");
  assert.match(redis, /--maxmemory-policy noeviction/);
  assert.match(redis, /--appendonly yes/);
  assert.match(services.postgres.image!, /^postgres:15/);
  assert.equal(flowOptions("migrate").path, "migrate");
});

Deno.test("compose.yaml: every flow process shares the queue, the database and the workflow folder", () => {
  const mount = (name: string) => services[name].volumes!.find((v) => v.endsWith(":/workflows:ro"));
  for (const name of ["migrate", ...apis, ...workers]) {
    const env = services[name].environment!;
    assert.equal(env.FLOW_QUEUE_URL, "redis://redis:6379", name);
    assert.match(env.FLOW_DATABASE_URL, /^postgres:\/\/flow:.*@postgres:5432\/flow$/, name);
    assert.ok(mount(name), `${name} mounts the workflows`);
    assert.equal(mount(name), mount("api-1"), `${name} mounts the same folder`);
    assert.ok(services[name].volumes!.some((v) => v.endsWith(":/usr/local/bin/flow:ro")), name);
  }
  for (const name of [...apis, ...workers]) {
    const dependsOn = services[name].depends_on as Record<string, { condition: string }>;
    assert.equal(dependsOn.migrate.condition, "service_completed_successfully", name);
  }
});

Deno.test("compose.yaml: API servers serve the folder on 8080 with a token; workers run with a grace", () => {
  for (const name of apis) {
    const { path, options, args } = flowOptions(name);
    assert.equal(path, "serve");
    assert.deepEqual(args.paths, ["/workflows"]);
    assert.equal(options.host, "0.0.0.0");
    assert.equal(options.port, 8080);
    assert.ok(services[name].environment!.FLOW_API_TOKEN, "a non-loopback host needs a token");
    assertGrace(name, options.grace as number);
  }
  for (const name of workers) {
    const { path, options } = flowOptions(name);
    assert.equal(path, "worker");
    assert.ok((options.concurrency as number) >= 1);
    assertGrace(name, options.grace as number);
  }
});

/** Compose must wait longer than flow's `--grace` (parsed to ms) before it kills. */
function assertGrace(name: string, graceMs: number) {
  const stopMs = parseDuration(services[name].stop_grace_period!)!;
  assert.ok(stopMs > graceMs, `${name}: stop_grace_period ${stopMs} ms <= --grace ${graceMs} ms`);
}

Deno.test("compose.yaml: the proxy balances over both API servers and streams SSE", () => {
  const proxy = services.proxy;
  assert.deepEqual(proxy.ports, ["8080:80"]);
  const caddyfile = compose.configs[proxy.configs![0].source].content;
  assert.match(caddyfile, /reverse_proxy api-1:8080 api-2:8080 \{/);
  assert.match(caddyfile, /flush_interval -1/);
  assert.match(caddyfile, /health_uri \/api\/v1\/health/);
  assert.deepEqual((proxy.depends_on as string[]).sort(), apis);
});

Deno.test("compose.yaml: the API servers accept the Host the proxy's health checks send, and FLOW_ALLOW_HOST", () => {
  const caddyfile = compose.configs[services.proxy.configs![0].source].content;
  const health = /health_headers \{\s*Host (\S+)\s*\}/.exec(caddyfile);
  assert.ok(health, "the health checks set their Host");
  for (const name of apis) {
    const { options } = flowOptions(name);
    const env = services[name].environment!;
    assert.equal(env.FLOW_ALLOW_HOST, "${FLOW_ALLOW_HOST:-}", `${name} takes the public name from FLOW_ALLOW_HOST`);
    const policy = new HostPolicy({ host: options.host as string, allowHosts: options.allowHost as string[] });
    assert.ok(policy.allows(health[1]), `${name} accepts Host ${health[1]}`);
    // Without the header, Caddy sends the upstream's address, which names no server the API servers know.
    assert.equal(policy.allows("api-1:8080"), false);
  }
});
