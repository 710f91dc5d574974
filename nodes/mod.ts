/**
 * The built-in node types, by family.
 *
 * @module
 */
import type { AnyNodeDefinition } from "../src/node/node.ts";
import { Registry } from "../src/node/registry.ts";
import codeFunction from "./code/function.ts";
import controlIf from "./control/if.ts";
import controlLoop from "./control/loop.ts";
import controlSwitch from "./control/switch.ts";
import debugInspect from "./debug/inspect.ts";
import debugLog from "./debug/log.ts";
import emailSend from "./email/send.ts";
import execCommand from "./exec/command.ts";
import fileList from "./file/list.ts";
import fileRead from "./file/read.ts";
import fileWrite from "./file/write.ts";
import flowMerge from "./flow/merge.ts";
import flowSubworkflow from "./flow/subworkflow.ts";
import httpRequest from "./http/request.ts";
import httpRespond from "./http/respond.ts";
import httpWebhook from "./http/webhook.ts";
import sqlQuery from "./sql/query.ts";
import stateGet from "./state/get.ts";
import stateSet from "./state/set.ts";
import timeCron from "./time/cron.ts";
import timeDelay from "./time/delay.ts";
import timeInterval from "./time/interval.ts";
import csvParse from "./transform/csv_parse.ts";
import csvStringify from "./transform/csv_stringify.ts";
import jsonParse from "./transform/json_parse.ts";
import jsonStringify from "./transform/json_stringify.ts";
import transformMap from "./transform/map.ts";
import transformPick from "./transform/pick.ts";
import transformSet from "./transform/set.ts";

/**
 * Every built-in node type.
 *
 * @example
 * ```ts
 * import { builtinNodes } from "./mod.ts";
 * console.log(builtinNodes.map((d) => d.type)); // ["http.request", "transform.json_parse", ...]
 * ```
 */
export const builtinNodes: readonly AnyNodeDefinition[] = [
  httpRequest,
  jsonParse,
  jsonStringify,
  timeDelay,
  debugLog,
  debugInspect,
  flowMerge,
  flowSubworkflow,
  controlIf,
  controlSwitch,
  controlLoop,
  transformSet,
  transformMap,
  transformPick,
  stateGet,
  stateSet,
  httpWebhook,
  httpRespond,
  timeCron,
  timeInterval,
  codeFunction,
  execCommand,
  fileRead,
  fileWrite,
  fileList,
  sqlQuery,
  emailSend,
  csvParse,
  csvStringify,
];

/**
 * A registry holding the built-in node types.
 *
 * @example
 * ```ts
 * import { builtinRegistry } from "./mod.ts";
 * const registry = builtinRegistry();
 * registry.has("http.request"); // true
 * ```
 */
export function builtinRegistry(): Registry {
  return new Registry(builtinNodes);
}
