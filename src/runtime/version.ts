/**
 * A workflow version: one valid load of a workflow file, with its node
 * instances and custom node Workers. Runs hold it while they go on; a
 * retired version (replaced on hot reload, or its file deleted) is disposed
 * once its last run has ended.
 *
 * @module
 */
import { versionHash } from "../workflow/hash.ts";
import { compileWithModules, type CustomType } from "../sandbox/imports.ts";
import { type NodeInstances, setupInstances } from "../engine/instances.ts";
import { parseWorkflowText, readWorkflowText } from "../workflow/load.ts";
import type { TriggerKind } from "../node/node.ts";
import type { Registry } from "../node/registry.ts";
import { type CompiledWorkflow, workflowTree } from "../validate/validate.ts";

/** A trigger node of a workflow version. */
export interface TriggerSpec {
  /** The trigger node's id. */
  nodeId: string;
  /** What it listens for. */
  kind: TriggerKind;
  /** Its parsed config. */
  config: Record<string, unknown>;
  /** What its type's `prepare` returned (e.g. an interval in ms). */
  prepared: unknown;
}

let serials = 0;

/** One loaded, valid version of a workflow file. */
export class WorkflowVersion {
  /** Tells versions apart within this process (1, 2, 3, ...). */
  readonly serial: number = ++serials;
  /** Absolute path of the file. */
  readonly file: string;
  /** The file's text (its layout may be newer than the rest: see {@linkcode WorkflowVersion.relayout}). */
  get text(): string {
    return this.#text;
  }
  #text: string;
  /** `sha256:` digest of the text and of every sub-workflow file's text (`versionHash`). */
  readonly hash: string;
  /** The text of each sub-workflow file it uses, by absolute path. */
  readonly sources: ReadonlyMap<string, string>;
  /** The compiled workflow. */
  readonly compiled: CompiledWorkflow;
  /** Node instances (`ctx.instance`). */
  readonly instances: NodeInstances;
  /** Its trigger nodes. */
  readonly triggers: TriggerSpec[];
  /** Every file it was built from: itself, its sub-workflow files and imported node modules. */
  readonly dependencies: Set<string>;
  /** The custom node types its modules registered (its `imports`, the `--nodes` folders). */
  customTypes: readonly CustomType[] = [];
  /** When it was loaded, ISO 8601. */
  readonly loadedAt: string = new Date().toISOString();
  #close: () => void;
  #runs = 0;
  #retired = false;
  #disposing = false;
  #disposed = Promise.withResolvers<void>();

  /** Wraps a compiled workflow; use {@linkcode loadVersion}. */
  constructor(
    file: string,
    text: string,
    hash: string,
    compiled: CompiledWorkflow,
    instances: NodeInstances,
    close: () => void,
    sources: ReadonlyMap<string, string> = new Map(),
  ) {
    this.sources = sources;
    this.file = file;
    this.#text = text;
    this.hash = hash;
    this.compiled = compiled;
    this.instances = instances;
    this.#close = close;
    this.triggers = compiled.nodes.flatMap((node) =>
      node.def.trigger
        ? [{
          nodeId: node.id,
          kind: node.def.trigger,
          config: node.config as Record<string, unknown>,
          prepared: node.prepared,
        }]
        : []
    );
    this.dependencies = new Set([file]);
    for (const { workflow } of workflowTree(compiled)) if (workflow.file) this.dependencies.add(workflow.file);
    const base = file.slice(0, file.lastIndexOf("/") + 1);
    for (const entry of compiled.workflow.imports ?? []) {
      const path = typeof entry === "string" ? entry : entry.path;
      this.dependencies.add(path.startsWith("/") ? path : new URL(path, `file://${base}`).pathname);
    }
  }

  /** The workflow id. */
  get id(): string {
    return this.compiled.id;
  }

  /** Runs in flight on this version. */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Takes a newer text of its file that differs only in its `layout` blocks
   * (the same hash): the version goes on serving as it is, its schedules
   * and runs untouched.
   */
  relayout(text: string): void {
    this.#text = text;
  }

  /** Holds the version for one run; call the returned function when the run ends. */
  acquire(): () => void {
    this.#runs++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#runs === 0 && this.#retired) this.#dispose();
    };
  }

  /** Stops serving: disposed now if idle, else when its last run ends. Resolves when disposed. */
  retire(): Promise<void> {
    this.#retired = true;
    if (this.#runs === 0) this.#dispose();
    return this.#disposed.promise;
  }

  #dispose() {
    if (this.#disposing) return;
    this.#disposing = true;
    this.instances.dispose().finally(() => {
      this.#close();
      this.#disposed.resolve();
    });
  }
}

/**
 * Reads, validates and sets up a workflow file. Resolves to the version, or
 * rejects with a `WorkflowValidationError` listing every problem
 * (including a failed `setup`).
 */
export async function loadVersion(file: string, registry: Registry, nodeDirs: string[]): Promise<WorkflowVersion> {
  // At most the size limit, strict UTF-8; problems are validation errors naming the file.
  return await buildVersion(file, readWorkflowText(file), registry, nodeDirs);
}

/**
 * Validates and sets up a workflow from its text, as if read from `file`
 * (imported modules resolve next to it). Sub-workflow files come from
 * `sources` when it holds them (a stored version), else from the disk.
 */
export async function buildVersion(
  file: string,
  text: string,
  registry: Registry,
  nodeDirs: string[],
  sources: Map<string, string> = new Map(),
): Promise<WorkflowVersion> {
  const raw = parseWorkflowText(text, file);
  const { compiled, close, custom } = await compileWithModules(raw, registry, { file, dirs: nodeDirs, sources });
  let instances: NodeInstances;
  try {
    instances = await setupInstances(compiled);
  } catch (err) {
    close();
    throw err;
  }
  const version = new WorkflowVersion(
    file,
    text,
    await versionHash(text, sources),
    compiled,
    instances,
    close,
    sources,
  );
  version.customTypes = custom;
  return version;
}
