import { useQueries } from "@tanstack/react-query";

import { api, unwrap } from "../api/client";
import { applyEvent, newTurn, type ToolStep } from "./turn";

/** The events that make up tool steps; the answer's text is stored with the message. */
const STEP_EVENTS = ["tool.called", "tool.result", "tool.blocked", "tool.requires_approval"];
const MAX_EVENTS = 5000;

async function toolSteps(runId: string): Promise<ToolStep[]> {
  const page = unwrap(
    await api.GET("/api/runs/{run_id}/events", {
      params: { path: { run_id: runId }, query: { type: STEP_EVENTS, limit: MAX_EVENTS } },
    }),
  );
  // Replayed through the live reducer, so a past step looks as it did while it happened.
  const turn = page.items.reduce(applyEvent, newTurn("", runId));
  return turn.parts.flatMap((part) => (part.kind === "tool" ? [part.step] : []));
}

/** The tool steps of finished runs, one request per run; a finished run's steps never
 * change, so each is fetched once per page load. */
export function usePastSteps(runIds: string[]): Map<string, ToolStep[]> {
  const results = useQueries({
    queries: runIds.map((runId) => ({
      queryKey: ["run-tool-steps", runId],
      queryFn: () => toolSteps(runId),
      staleTime: Infinity,
    })),
  });
  const steps = new Map<string, ToolStep[]>();
  results.forEach((result, index) => {
    const runId = runIds[index];
    if (runId !== undefined && result.data?.length) steps.set(runId, result.data);
  });
  return steps;
}
