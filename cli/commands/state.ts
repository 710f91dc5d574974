/**
 * `flow state list|get|delete`: inspect and clear persistent node state
 * (`ctx.store`, `state.get`/`state.set`).
 *
 * @module
 */
import type { Invocation } from "../commands.ts";
import { CliError, ExitCode } from "../exit_codes.ts";
import { requireStore } from "../history.ts";
import { localTime, newTable } from "../history_format.ts";
import { stdout } from "../output.ts";

/** How `flow state` shows a scope: a node id, or `(workflow)` for the workflow-wide one. */
const scopeName = (scope: string) => scope === "" ? "(workflow)" : scope;

/** Runs `flow state list|get|delete`; resolves to the exit code. */
export default async function state({ path, args, options }: Invocation): Promise<number> {
  const store = await requireStore(options.db);
  const scope = options.node === undefined ? undefined : String(options.node);
  try {
    switch (path[path.length - 1]) {
      case "list": {
        const rows = await store.listState({ workflowId: args.workflow as string | undefined, scope });
        if (options.format === "json") {
          stdout.write(JSON.stringify(rows, null, 2) + "\n");
        } else if (rows.length === 0) stdout.write("no state stored\n");
        else {
          const table = newTable(["workflow", "scope", "key", "value", "version", "updated"]);
          for (const r of rows) {
            const text = JSON.stringify(r.value);
            table.push([
              r.workflowId,
              scopeName(r.scope),
              r.key,
              text.length > 40 ? text.slice(0, 39) + "…" : text,
              r.version,
              localTime(r.updatedAt),
            ]);
          }
          stdout.write(await table.render() + "\n");
        }
        return ExitCode.Success;
      }
      case "get": {
        const ref = { workflowId: args.workflow as string, scope: scope ?? "", key: args.key as string };
        const entry = await store.getState(ref);
        if (!entry) {
          stdout.flush();
          throw new CliError(
            `no value for key "${ref.key}" in ${scopeName(ref.scope)} of workflow "${ref.workflowId}"`,
            ExitCode.Failed,
          );
        }
        stdout.write(JSON.stringify(entry.value, null, 2) + "\n");
        return ExitCode.Success;
      }
      default: {
        const workflowId = args.workflow as string;
        const key = args.key as string | undefined;
        const n = key === undefined
          ? await store.clearState({ workflowId, scope })
          : Number(await store.deleteState({ workflowId, scope: scope ?? "", key }));
        stdout.write(`deleted ${n} value${n === 1 ? "" : "s"}\n`);
        return ExitCode.Success;
      }
    }
  } finally {
    await store.close();
  }
}
