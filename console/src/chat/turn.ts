/** The answer being streamed, built from run events. Events at or below `lastSeq` were
 * already applied, so a replayed or resumed stream never repeats text. */

export interface Reason {
  rule: string;
  message: string;
  verdict?: string;
  danger?: string;
}

export interface ToolStep {
  callId: string;
  tool: string;
  state: "called" | "result" | "blocked" | "approval";
  args?: unknown;
  output?: string;
  truncated?: boolean;
  reasons?: Reason[];
  danger?: string;
  approvalId?: string;
  approver?: string;
}

/** Text and tool steps in the order they happened. */
export type Part = { kind: "text"; text: string } | { kind: "tool"; step: ToolStep };

export type TurnStatus = "running" | "waiting_approval" | "completed" | "failed" | "cancelled";

export interface LiveTurn {
  sessionId: string;
  runId: string;
  lastSeq: number;
  parts: Part[];
  status: TurnStatus;
  error?: string;
}

export interface RunEvent {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

export function newTurn(sessionId: string, runId: string): LiveTurn {
  return { sessionId, runId, lastSeq: 0, parts: [], status: "running" };
}

function appendText(parts: Part[], delta: string): Part[] {
  const last = parts[parts.length - 1];
  if (last?.kind === "text") return [...parts.slice(0, -1), { kind: "text", text: last.text + delta }];
  return [...parts, { kind: "text", text: delta }];
}

function upsertStep(parts: Part[], step: ToolStep): Part[] {
  const index = parts.findIndex((p) => p.kind === "tool" && p.step.callId === step.callId);
  if (index < 0) return [...parts, { kind: "tool", step }];
  const existing = parts[index] as { kind: "tool"; step: ToolStep };
  const merged: Part = { kind: "tool", step: { ...existing.step, ...step } };
  return [...parts.slice(0, index), merged, ...parts.slice(index + 1)];
}

const str = (value: unknown): string => (typeof value === "string" ? value : "");

export function applyEvent(turn: LiveTurn, event: RunEvent): LiveTurn {
  if (event.seq <= turn.lastSeq) return turn;
  const p = event.payload;
  const next: LiveTurn = { ...turn, lastSeq: event.seq };
  const step = { callId: str(p.call_id), tool: str(p.tool) };
  switch (event.type) {
    case "llm.token":
      next.parts = appendText(turn.parts, str(p.delta));
      break;
    case "tool.called":
      next.parts = upsertStep(turn.parts, { ...step, state: "called", args: p.args });
      break;
    case "tool.result":
      next.parts = upsertStep(turn.parts, {
        ...step,
        state: "result",
        output: str(p.content),
        truncated: p.truncated === true,
      });
      break;
    case "tool.blocked":
      next.parts = upsertStep(turn.parts, {
        ...step,
        state: "blocked",
        reasons: p.reasons as Reason[],
        danger: str(p.danger),
      });
      break;
    case "tool.requires_approval":
      next.status = "waiting_approval";
      next.parts = upsertStep(turn.parts, {
        ...step,
        state: "approval",
        reasons: p.reasons as Reason[],
        danger: str(p.danger),
        approvalId: str(p.approval_id),
        approver: str(p.approver),
      });
      break;
    case "run.resumed":
    case "run.started":
      next.status = "running";
      break;
    case "run.completed":
      next.status = "completed";
      break;
    case "run.failed":
      next.status = "failed";
      next.error = str(p.error) || str(p.message);
      break;
    case "run.cancelled":
      next.status = "cancelled";
      break;
  }
  return next;
}

export function isFinished(turn: LiveTurn): boolean {
  return turn.status === "completed" || turn.status === "failed" || turn.status === "cancelled";
}

// The live answer survives a reload: the page re-attaches from `lastSeq` with what it had.
const KEY = "nexora.live-turn";

export function saveTurn(turn: LiveTurn | null): void {
  if (turn === null || isFinished(turn)) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, JSON.stringify(turn));
}

export function loadTurn(sessionId: string): LiveTurn | null {
  try {
    const turn = JSON.parse(sessionStorage.getItem(KEY) ?? "null") as LiveTurn | null;
    return turn?.sessionId === sessionId ? turn : null;
  } catch {
    return null;
  }
}
