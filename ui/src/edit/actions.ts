/// <reference lib="dom" />
/**
 * The editor's actions, each one undoable text edit of the store: add,
 * delete, duplicate, copy and paste, rename, connect, move, auto-layout. The
 * toolbar, the keyboard, the command palette and the canvas all call these.
 *
 * @module
 */
import type { StoreApi } from "zustand";
import type { NodeType } from "../api.ts";
import { layoutGraph } from "../graph/layout.ts";
import type { GraphModel } from "../graph/model.ts";
import { OUTPUTS_ID } from "../graph/model.ts";
import type { CanvasApi } from "./canvas.tsx";
import { copyFragment, pasteFragment, readFragment } from "./clipboard.ts";
import {
  addConnection,
  addNodes,
  idForType,
  layoutOf,
  nodesOf,
  parseText,
  type Path,
  type Position,
  removeConnection,
  removeNodes,
  renameNode,
  setAt,
  setPositions,
  uniqueId,
  workflowAt,
} from "./doc.ts";
import { type End, endpoint, NEW_PORT } from "./graph.ts";
import type { EditorState } from "./store.ts";

/** What the actions work on. */
export interface ActionContext {
  /** The store. */
  store: StoreApi<EditorState>;
  /** The workflow object's path. */
  base: Path;
  /** The graph shown. */
  model: GraphModel;
  /** Node types by name. */
  catalog: ReadonlyMap<string, NodeType>;
  /** The canvas. */
  canvas: () => CanvasApi | null;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The editor's actions over a context; see the module doc. */
export function editorActions(ctx: ActionContext) {
  const { store, base } = ctx;
  const state = () => store.getState();
  const doc = () => parseText(state().text).value;
  const hasLayout = () => {
    const w = workflowAt(doc(), base);
    return w.layout !== undefined;
  };
  /** Positions to write: the moved ones, or every box when the file has no layout block yet. */
  const withAll = (moved: Map<string, Position>): Map<string, Position> => {
    if (hasLayout()) return moved;
    return new Map([...(ctx.canvas()?.positions() ?? []), ...moved]);
  };
  const selectedNodes = () =>
    state().selection.filter((id) => ctx.model.nodes.some((n) => n.id === id && n.kind === "node"));

  return {
    addNode(type: string, at?: Position) {
      const taken = new Set(nodesOf(workflowAt(doc(), base)).map((n) => n.id));
      const id = idForType(type, taken);
      let center: Position = at ?? ctx.canvas()?.center() ?? [0, 0];
      // Added by keyboard or click: step aside from boxes already at the middle of the view.
      const placedNow = [...(ctx.canvas()?.positions().values() ?? [])];
      for (
        let i = 0;
        !at && i < 50 && placedNow.some((p) => Math.abs(p[0] - center[0]) < 30 && Math.abs(p[1] - center[1]) < 30);
        i++
      ) {
        center = [center[0] + 40, center[1] + 40];
      }
      const def = ctx.catalog.get(type);
      const node: Record<string, unknown> = { id, type };
      if (def?.configSchema && Object.keys((def.configSchema.properties as object | undefined) ?? {}).length) {
        node.config = {};
      }
      state().apply(`Add ${id}`, (t) => addNodes(t, base, [node], withAll(new Map([[id, center]]))));
      state().select([id]);
    },
    move(moved: Map<string, Position>, all: Map<string, Position>, group?: string) {
      const write = hasLayout() ? moved : new Map([...all, ...moved]);
      state().apply(`Move ${plural(moved.size, "box")}`, (t) => setPositions(t, base, write), group);
    },
    connect(from: End, to: End) {
      let port = to.port;
      if (port === NEW_PORT) {
        const target = ctx.model.nodes.find((n) => n.id === to.node);
        port = uniqueId(from.port || "value", new Set(target?.inputs.map((p) => p.name)));
      }
      const target = { node: to.node, port };
      state().apply(
        `Connect ${endpoint(from)} to ${endpoint(target)}`,
        (t) => addConnection(t, base, endpoint(from), endpoint(target)),
      );
    },
    remove(nodes: string[], edges: { from: End; to: End }[]) {
      const ids = new Set(nodes.filter((id) => ctx.model.nodes.some((n) => n.id === id && n.kind === "node")));
      if (!ids.size && !edges.length) return;
      const label = ids.size ? `Delete ${plural(ids.size, "node")}` : `Delete ${plural(edges.length, "connection")}`;
      state().apply(label, (t) => {
        for (const e of edges) t = removeConnection(t, base, endpoint(e.from), endpoint(e.to));
        return removeNodes(t, base, ids);
      });
      state().select([]);
    },
    deleteSelection() {
      this.remove(selectedNodes(), []);
    },
    copy(): string | undefined {
      const ids = selectedNodes();
      const text = copyFragment(state().text, base, new Set(ids));
      if (text) state().say("info", `Copied ${plural(ids.length, "node")} as workflow JSON.`);
      return text;
    },
    paste(clip: string, at?: Position) {
      const fragment = readFragment(clip);
      if ("error" in fragment) {
        state().say("error", `Cannot paste: ${fragment.error}`);
        return;
      }
      const where = at ?? ctx.canvas()?.center() ?? [0, 0];
      let ids: string[] = [];
      state().apply(`Paste ${plural(fragment.nodes.length, "node")}`, (t) => {
        const missing = hasLayout() ? new Map<string, Position>() : withAll(new Map());
        const out = pasteFragment(missing.size ? setPositions(t, base, missing) : t, base, fragment, where);
        ids = out.ids;
        return out.text;
      });
      state().select(ids);
    },
    duplicate() {
      const ids = selectedNodes();
      const text = copyFragment(state().text, base, new Set(ids));
      if (!text) return;
      const pos = ctx.canvas()?.positions();
      const first = ids.map((id) => pos?.get(id)).find((p) => p);
      this.paste(text, first ? [first[0] + 40, first[1] + 40] : undefined);
    },
    rename(from: string, to: string) {
      const taken = new Set(nodesOf(workflowAt(doc(), base)).map((n) => n.id));
      if (taken.has(to)) {
        state().say("error", `Cannot rename ${from}: a node "${to}" exists already`);
        return;
      }
      state().apply(`Rename ${from} to ${to}`, (t) => renameNode(t, base, from, to));
      state().select([to]);
    },
    set(path: Path, value: unknown, label: string, group?: string) {
      state().apply(label, (t) => setAt(t, [...base, ...path], value, base), group);
    },
    async autoLayout() {
      const layout = await layoutGraph(ctx.model);
      const positions = new Map<string, Position>();
      for (const [id, p] of layout) positions.set(id, [p.x, p.y]);
      state().apply("Auto-layout", (t) => setPositions(t, base, positions));
      requestAnimationFrame(() => ctx.canvas()?.fit());
    },
    selectAll() {
      state().select(ctx.model.nodes.filter((n) => n.kind === "node").map((n) => n.id));
    },
    /** Layout entries of boxes that no longer exist are kept by the file; this tells whether any box is placed. */
    placed(): boolean {
      return layoutOf(workflowAt(doc(), base)).size > 0;
    },
    /** The id of the exit box (for the keyboard connect form). */
    outputsId: OUTPUTS_ID,
  };
}

/** The actions' type. */
export type EditorActions = ReturnType<typeof editorActions>;
