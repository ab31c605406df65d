import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";

import { api, unwrap, type Schemas } from "../../api/client";

export type RunEvent = Schemas["EventPublic"];

const ACTIVE = new Set(["pending", "running", "waiting_approval"]);
const POLL_MS = 1000;
// Streamed text is in the run's output already; the timeline leaves token deltas out.
const TIMELINE_TYPES = [
  "run.started",
  "run.resumed",
  "run.completed",
  "run.failed",
  "run.cancelled",
  "step.started",
  "step.completed",
  "llm.called",
  "tool.called",
  "tool.result",
  "tool.blocked",
  "tool.requires_approval",
  "memory.written",
  "message.task",
  "message.proposal",
  "message.decision",
  "message.evidence",
  "message.status",
];

export function isActive(status: string | undefined): boolean {
  return status !== undefined && ACTIVE.has(status);
}

async function eventsAfter(runId: string, cursor: number, types: string[] = []): Promise<RunEvent[]> {
  const found: RunEvent[] = [];
  let next: number | null = cursor;
  while (next !== null) {
    const page: Schemas["EventPage"] = unwrap(
      await api.GET("/api/runs/{run_id}/events", {
        params: { path: { run_id: runId }, query: { cursor: next, limit: 1000, type: types } },
      }),
    );
    found.push(...page.items);
    next = page.next_cursor;
  }
  return found;
}

/** Every event of a run, token deltas included: what the JSON export holds. */
export function allEvents(runId: string): Promise<RunEvent[]> {
  return eventsAfter(runId, 0);
}

/** The run and its timeline events; while the run is going both follow it live (the event
 * cursor makes each poll fetch only what is new). */
export function useRunTrace(runId: string) {
  const run = useQuery({
    queryKey: ["runs", runId],
    queryFn: async () => unwrap(await api.GET("/api/runs/{run_id}", { params: { path: { run_id: runId } } })),
    refetchInterval: (q) => (isActive(q.state.data?.status) ? POLL_MS : false),
  });
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<unknown>(null);
  const active = isActive(run.data?.status);
  const known = run.data !== undefined;

  useEffect(() => {
    if (!known) return;
    let stopped = false;
    let timer: number | undefined;
    let cursor = 0;
    setEvents([]);
    // One read at a time, then a pause: the cursor moves only after a read has landed.
    const poll = async () => {
      try {
        const fresh = await eventsAfter(runId, cursor, TIMELINE_TYPES);
        if (stopped) return;
        if (fresh.length > 0) {
          cursor = fresh[fresh.length - 1]?.seq ?? cursor;
          setEvents((current) => [...current, ...fresh]);
        }
        setError(null);
      } catch (caught) {
        if (!stopped) setError(caught);
      }
      if (active && !stopped) timer = window.setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    // When the run finishes, `active` changes and the timeline is read afresh, in full.
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [runId, active, known]);

  return { run, events, error };
}
