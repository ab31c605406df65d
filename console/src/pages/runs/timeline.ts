import type { RunEvent } from "./useRunTrace";

/** A tool call with what came of it: its result, a block, or a wait for approval. */
export interface ToolCall {
  kind: "tool";
  callId: string;
  tool: string;
  called?: RunEvent;
  result?: RunEvent;
  blocked?: RunEvent;
  approval?: RunEvent;
}

export type Entry = { kind: "event"; event: RunEvent } | ToolCall;

export interface Step {
  index: number | null; // null: run-level events outside any step
  kind: string;
  started?: RunEvent;
  completed?: RunEvent;
  entries: Entry[];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** Groups a run's events into its steps, pairing each tool call with its outcome. */
export function buildTimeline(events: RunEvent[]): Step[] {
  const steps: Step[] = [];
  let current: Step | null = null;
  const calls = new Map<string, ToolCall>();
  const outside = (): Step => {
    const last = steps[steps.length - 1];
    if (last && last.index === null) return last;
    const step: Step = { index: null, kind: "run", entries: [] };
    steps.push(step);
    return step;
  };

  for (const event of events) {
    const payload = event.payload;
    if (event.type === "step.started") {
      current = { index: Number(payload.index), kind: text(payload.kind), started: event, entries: [] };
      steps.push(current);
      continue;
    }
    if (event.type === "step.completed") {
      if (current) current.completed = event;
      current = null;
      continue;
    }
    const target = current ?? outside();
    if (event.type.startsWith("tool.")) {
      const callId = text(payload.call_id) || `seq-${event.seq}`;
      let call = calls.get(callId);
      if (!call) {
        call = { kind: "tool", callId, tool: text(payload.tool) };
        calls.set(callId, call);
        target.entries.push(call);
      }
      if (event.type === "tool.called") call.called = event;
      else if (event.type === "tool.result") call.result = event;
      else if (event.type === "tool.blocked") call.blocked = event;
      else if (event.type === "tool.requires_approval") call.approval = event;
      continue;
    }
    target.entries.push({ kind: "event", event });
  }
  return steps;
}

export function millisBetween(from?: RunEvent, to?: RunEvent): number | null {
  if (!from || !to) return null;
  return new Date(to.created_at).getTime() - new Date(from.created_at).getTime();
}
