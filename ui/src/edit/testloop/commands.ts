/**
 * The test loop's actions as editor commands, one definition each: the run
 * panel's and the Test section's buttons and the command palette call the
 * same command. A command that does not apply is absent (nothing selected;
 * Fire now on a node that is no schedule; Unpin with no pin); one that applies
 * but cannot run now is disabled (the workflow is not served, the node is not
 * saved yet, an action is under way, a read-only session). The forms they
 * open (the Run form, Pin JSON…) and the "then run the workflow" choice of a
 * test request are state of the editor (`useTestCommands`), so that a
 * command can open them. No DOM, no React.
 *
 * @module
 */
import { shortId } from "../../format.ts";
import type { EditorCommand } from "../editor_command.ts";
import type { TestLoop } from "./loop.ts";

/** Node types "Fire now" applies to. */
export const SCHEDULES: readonly string[] = ["time.cron", "time.interval"];

/** The forms and choices the test loop's commands and buttons share. */
export interface TestUi {
  /** Whether the Run form is open. */
  runForm: boolean;
  /** Opens or closes the Run form. */
  setRunForm: (open: boolean) => void;
  /** The node whose Pin JSON… form is open, if any. */
  pinFor?: string;
  /** Opens (a node id) or closes (undefined) the Pin JSON… form. */
  setPinFor: (node: string | undefined) => void;
  /** The webhook node whose test request then runs the workflow ("then run the workflow" ticked), if any. */
  runWith?: string;
  /** Ticks (a node id) or unticks (undefined) "then run the workflow". */
  setRunWith: (node: string | undefined) => void;
}

/** The test loop's commands and the state of the forms they open. */
export interface TestCommands {
  /** The commands that apply now (see the module doc). */
  commands: EditorCommand[];
  /** The command of `id`, if it applies. */
  get: (id: string) => EditorCommand | undefined;
  /** The forms' state. */
  ui: TestUi;
}

/** What the commands work on. */
export interface TestCommandContext {
  /** The loop. */
  loop: TestLoop;
  /** The selected node (one), if any. */
  node?: { id: string; type: string };
  /** Whether this session may start runs and pin. */
  canAct: boolean;
  /** The forms' state. */
  ui: TestUi;
}

const GROUP = "Test";

/** The commands that run the selected node `id` of `type` (`off`: they cannot now). */
function runCommands(ctx: TestCommandContext, id: string, type: string, off: boolean): EditorCommand[] {
  const { loop, ui } = ctx;
  const listener = loop.listening.get(id);
  const out: EditorCommand[] = [
    {
      id: "test-to",
      label: `Run to here: ${id}`,
      group: GROUP,
      keywords: ["test", "upstream"],
      hint: "Run this node and every node upstream of it (pinned nodes are not called); nothing downstream",
      disabled: off,
      run: () => void loop.run({ mode: "to", node: id }, "Run to here"),
    },
    {
      id: "test-node",
      label: `Run this node: ${id}`,
      group: GROUP,
      keywords: ["test", "only", "one"],
      hint: "Run only this node, on its upstream nodes' pinned or recorded outputs",
      disabled: off,
      run: () => void loop.run({ mode: "node", node: id }, "Run this node"),
    },
  ];
  if (SCHEDULES.includes(type)) {
    out.push({
      id: "test-fire",
      label: `Fire now: ${id}`,
      group: GROUP,
      keywords: ["test", "schedule", "trigger"],
      hint: "Run the whole workflow as this schedule would",
      disabled: off,
      run: () => void loop.run({ mode: "all", trigger: id }, "Fire now"),
    });
  }
  if (type === "http.webhook") {
    out.push(
      listener?.status === "listening"
        ? {
          id: "test-stop-listening",
          label: `Stop listening for a test request: ${id}`,
          group: GROUP,
          keywords: ["test", "webhook", "cancel"],
          disabled: off,
          run: () => void loop.stopListening(id),
        }
        : {
          id: "test-listen",
          label: `Listen for a test request: ${id}`,
          group: GROUP,
          keywords: ["test", "webhook", "request", "url"],
          hint: "A one-time URL: the next request to it becomes this node's pin",
          disabled: off,
          run: () => void loop.listen(id, ui.runWith === id),
        },
    );
  }
  return out;
}

/** The commands that pin or unpin the selected node `id` (`off`: they cannot now). */
function pinCommands(ctx: TestCommandContext, id: string, off: boolean): EditorCommand[] {
  const { loop, ui } = ctx;
  const rec = loop.data?.nodes[id];
  const fromRun = rec?.outputs && !rec.reused ? rec.executionId : undefined;
  const out: EditorCommand[] = [
    {
      id: "test-pin",
      label: `Pin output from the last run: ${id}`,
      group: GROUP,
      keywords: ["test", "pin", "data"],
      hint: fromRun ? `Pin the outputs of run ${shortId(fromRun)}` : "Run the node first",
      disabled: off || !fromRun,
      run: () => void (fromRun && loop.pin(id, { execution: fromRun })),
    },
    {
      id: "test-pin-json",
      label: `Pin JSON as the output: ${id}…`,
      group: GROUP,
      keywords: ["test", "pin", "data", "typed"],
      hint: "Type the outputs to pin, by port",
      disabled: off,
      run: () => ui.setPinFor(id),
    },
  ];
  if (loop.pins.has(id)) {
    out.push({
      id: "test-unpin",
      label: `Unpin: ${id}`,
      group: GROUP,
      keywords: ["test", "pin", "clear", "remove", "data"],
      disabled: off,
      run: () => void loop.unpin(id),
    });
  }
  return out;
}

/** The test loop's commands; see the module doc. */
export function testCommands(ctx: TestCommandContext): EditorCommand[] {
  const { loop } = ctx;
  const run: EditorCommand = {
    id: "test-run",
    label: "Run the workflow (test run)…",
    group: GROUP,
    keywords: ["test", "start", "execute"],
    hint: "Run the whole workflow (pinned nodes are not called)",
    disabled: !ctx.canAct || loop.busy || !!loop.unavailable,
    run: () => ctx.ui.setRunForm(true),
  };
  if (!ctx.node) return [run];
  const { id, type } = ctx.node;
  const off = !ctx.canAct || loop.busy || !!loop.unavailable || !loop.served.has(id);
  return [run, ...runCommands(ctx, id, type, off), ...pinCommands(ctx, id, off)];
}
