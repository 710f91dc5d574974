/// <reference lib="dom" />
/**
 * The selected node's part of the test loop, in the inspector: Run to here,
 * Run this node, Fire now (`time.cron`, `time.interval`), Listen for a test
 * request (`http.webhook`: the one-time URL), Pin output (from the last run
 * or typed in as JSON) and Unpin; then the values each input port received
 * and each output port produced in the last run that ran it, and which run
 * that was. Each button runs the test loop's command of the same name
 * (`commands.ts`), as the command palette does.
 *
 * @module
 */
import { useEffect, useState } from "react";
import { formatTime, shortId } from "../../format.ts";
import { Link } from "../../router.tsx";
import { CommandButton } from "../commands.tsx";
import type { TestCommands } from "./commands.ts";
import { DataView } from "./data_view.tsx";
import type { TestLoop } from "./loop.ts";

/** Props of {@linkcode NodeTestPanel}. */
export interface NodeTestPanelProps {
  /** The loop. */
  loop: TestLoop;
  /** The node. */
  nodeId: string;
  /** Its type. */
  nodeType: string;
  /** The loop's commands on this node, and the state of the forms they open. */
  test: TestCommands;
}

/** The panel; see the module doc. */
export function NodeTestPanel(props: NodeTestPanelProps) {
  const { loop, nodeId, nodeType, test } = props;
  const pin = loop.pins.get(nodeId);
  const listener = loop.listening.get(nodeId);
  const saved = loop.served.has(nodeId);
  return (
    <section className="test-panel" aria-label={`Test ${nodeId}`}>
      <h3>Test</h3>
      {loop.unavailable
        ? <p className="muted">Test runs are off: {loop.unavailable}</p>
        : !saved && <p className="muted">This node is not in the saved workflow yet: save to test it.</p>}
      <div className="form-row wrap">
        <CommandButton command={test.get("test-to")}>Run to here</CommandButton>
        <CommandButton command={test.get("test-node")}>Run this node</CommandButton>
        <CommandButton command={test.get("test-fire")}>Fire now</CommandButton>
      </div>
      {nodeType === "http.webhook" && <WebhookTest test={test} nodeId={nodeId} listener={listener} />}
      <PinControls loop={loop} nodeId={nodeId} test={test} />
      <LastRun loop={loop} nodeId={nodeId} />
      {pin && (
        <>
          <h4>Pinned outputs</h4>
          <Ports values={pin.outputs} what="pinned output" />
        </>
      )}
    </section>
  );
}

/** The values the node received and produced in the newest run that ran it, and which run that was. */
function LastRun({ loop, nodeId }: { loop: TestLoop; nodeId: string }) {
  const rec = loop.data?.nodes[nodeId];
  const source = rec ? loop.data?.sources.find((s) => s.executionId === rec.executionId) : undefined;
  return (
    <>
      <h3>Last run</h3>
      {!rec ? <p className="muted">{loop.data?.history === false ? "History is off: no data." : "Not run yet."}</p> : (
        <>
          <p className="muted" data-testid="data-source">
            From run <Link href={`/runs/${rec.executionId}`}>{shortId(rec.executionId)}</Link>
            {source && ` (${source.trigger}, ${formatTime(source.createdAt)})`}: {rec.status}
            {rec.reused ? (rec.pinned ? ", pinned outputs" : ", reused outputs") : ""}
          </p>
          {rec.error && (
            <p className="error">
              <code>{rec.error.code}</code> {rec.error.message}
            </p>
          )}
          <h4>Inputs</h4>
          <Ports values={rec.inputs} what="input" />
          <h4>Outputs</h4>
          {rec.outputs ? <Ports values={rec.outputs} what="output" /> : <p className="muted">none</p>}
        </>
      )}
    </>
  );
}

function Ports(props: { values: Record<string, unknown>; what: string }) {
  const entries = Object.entries(props.values);
  if (!entries.length) return <p className="muted">none</p>;
  return (
    <ul className="port-values">
      {entries.map(([port, value]) => (
        <li key={port}>
          <code>{port}</code>
          <DataView value={value} label={`${props.what} ${port}`} />
        </li>
      ))}
    </ul>
  );
}

function WebhookTest(props: {
  test: TestCommands;
  nodeId: string;
  listener: ReturnType<TestLoop["listening"]["get"]>;
}) {
  const { test, nodeId, listener } = props;
  return (
    <div className="test-request" role="group" aria-label="Test request">
      <div className="form-row wrap">
        <CommandButton command={test.get("test-stop-listening")}>Stop listening</CommandButton>
        <CommandButton command={test.get("test-listen")}>Listen for a test request</CommandButton>
        <label>
          <input
            type="checkbox"
            checked={test.ui.runWith === nodeId}
            onChange={(e) => test.ui.setRunWith(e.target.checked ? nodeId : undefined)}
          />{" "}
          then run the workflow
        </label>
      </div>
      {listener?.status === "listening" && listener.url && (
        <p>
          Send one {listener.method} request to <code data-testid="test-url" className="test-url">{listener.url}</code>
          {" "}
          <span className="muted">(once, until {formatTime(listener.expiresAt)})</span>
        </p>
      )}
      {listener && listener.status !== "listening" && (
        <p role="status" data-testid="test-request-status">
          {listener.status === "captured"
            ? "Captured: the request is pinned as this node's output."
            : `The test request URL ${listener.status === "expired" ? "expired" : "was closed"}.`}
        </p>
      )}
    </div>
  );
}

function PinControls(props: { loop: TestLoop; nodeId: string; test: TestCommands }) {
  const { loop, nodeId, test } = props;
  const rec = loop.data?.nodes[nodeId];
  const pin = loop.pins.get(nodeId);
  const typing = test.ui.pinFor === nodeId;
  const [text, setText] = useState("");
  const [bad, setBad] = useState<string>();
  const pinJson = test.get("test-pin-json");
  // The form opened (by its button or the command palette): it starts from the pin, or the last run's outputs.
  useEffect(() => {
    if (typing && !text) setText(JSON.stringify(pin?.outputs ?? rec?.outputs ?? {}, null, 2));
  }, [typing]);
  const submit = () => {
    let outputs: unknown;
    try {
      outputs = JSON.parse(text);
    } catch (err) {
      return setBad(`not JSON: ${(err as Error).message}`);
    }
    if (!outputs || typeof outputs !== "object" || Array.isArray(outputs)) {
      return setBad('give an object of output ports: {"port": value}');
    }
    setBad(undefined);
    test.ui.setPinFor(undefined);
    void loop.pin(nodeId, { outputs: outputs as Record<string, unknown> });
  };
  return (
    <div className="pin-controls" role="group" aria-label="Pinned data">
      {pin && (
        <p data-testid="pin-status">
          Pinned ({pin.source === "json" ? "typed in" : pin.source === "run" ? "from a run" : "a test request"},{" "}
          {formatTime(pin.pinnedAt)}){pin.stale ? " — stale: the node changed, runs ignore it" : ""}
        </p>
      )}
      <div className="form-row wrap">
        <CommandButton command={test.get("test-pin")}>Pin output</CommandButton>
        {pinJson && (
          <button
            type="button"
            disabled={pinJson.disabled}
            title={pinJson.hint}
            aria-expanded={typing}
            onClick={typing ? () => test.ui.setPinFor(undefined) : pinJson.run}
          >
            Pin JSON…
          </button>
        )}
        <CommandButton command={test.get("test-unpin")}>Unpin</CommandButton>
      </div>
      {typing && (
        <div className="form-field">
          <label htmlFor="pin-json">Outputs to pin, by port</label>
          <textarea
            id="pin-json"
            rows={6}
            spellCheck={false}
            autoFocus
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          {bad && <p className="hint error" role="alert">{bad}</p>}
          <button type="button" className="primary" disabled={pinJson?.disabled} onClick={submit}>Pin</button>
        </div>
      )}
    </div>
  );
}
