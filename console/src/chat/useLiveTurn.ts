import { useCallback, useEffect, useRef, useState } from "react";

import { authFetch, errorOf } from "../api/http";
import { readSse } from "./sse";
import { applyEvent, isFinished, newTurn, saveTurn, type LiveTurn, type RunEvent } from "./turn";

interface Opening {
  session_id: string;
  run_id: string;
  attached: boolean;
}

export interface SendArgs {
  agentId: string | null;
  sessionId: string | null;
  message: string;
}

/** Streams one session's running answer: starts it, re-attaches after a reload or a switch of
 * conversation, and stops it. The run itself lives on the server; leaving only stops reading. */
export function useLiveTurn(onSession: (sessionId: string) => void, onFinished: () => void) {
  const [turn, setTurn] = useState<LiveTurn | null>(null);
  const [error, setError] = useState<string | null>(null);
  const turnRef = useRef<LiveTurn | null>(null);
  const reading = useRef<AbortController | null>(null);
  const callbacks = useRef({ onSession, onFinished });
  callbacks.current = { onSession, onFinished };

  const update = useCallback((next: LiveTurn | null) => {
    turnRef.current = next;
    saveTurn(next);
    setTurn(next);
  }, []);

  const consume = useCallback(
    async (response: Response, start: LiveTurn | null, controller: AbortController) => {
      if (!response.ok || !response.body) throw await errorOf(response);
      let current = start;
      for await (const message of readSse(response.body)) {
        if (controller.signal.aborted) return;
        if (message.event === "chat.session") {
          const opening = JSON.parse(message.data) as Opening;
          if (current?.runId !== opening.run_id) current = newTurn(opening.session_id, opening.run_id);
          update(current);
          callbacks.current.onSession(opening.session_id);
          continue;
        }
        if (current === null) continue;
        current = applyEvent(current, JSON.parse(message.data) as RunEvent);
        update(current);
        if (isFinished(current)) break;
      }
      if (current && isFinished(current)) callbacks.current.onFinished();
    },
    [update],
  );

  const run = useCallback(
    async (request: (signal: AbortSignal) => Request, start: LiveTurn | null) => {
      reading.current?.abort();
      const controller = new AbortController();
      reading.current = controller;
      setError(null);
      try {
        await consume(await authFetch(request(controller.signal)), start, controller);
      } catch (exc) {
        if (!controller.signal.aborted) setError(exc instanceof Error ? exc.message : String(exc));
      } finally {
        if (reading.current === controller) reading.current = null;
      }
    },
    [consume],
  );

  const send = useCallback(
    (args: SendArgs) => {
      // A /confirm or /deny continues the current answer: resume after what is shown.
      const current = turnRef.current;
      const continuing = current !== null && current.sessionId === args.sessionId && !isFinished(current);
      if (!continuing) update(null);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (continuing) headers["Last-Event-ID"] = String(current.lastSeq);
      return run(
        (signal) =>
          new Request("/api/chat", {
            method: "POST",
            headers,
            signal,
            body: JSON.stringify({
              agent_id: args.agentId,
              session_id: args.sessionId,
              message: args.message,
            }),
          }),
        continuing ? current : null,
      );
    },
    [run, update],
  );

  const attach = useCallback(
    (start: LiveTurn) => {
      update(start);
      return run(
        (signal) =>
          new Request(`/api/runs/${encodeURIComponent(start.runId)}/stream`, {
            headers: { "Last-Event-ID": String(start.lastSeq) },
            signal,
          }),
        start,
      );
    },
    [run, update],
  );

  const stop = useCallback(async (sessionId: string) => {
    const response = await authFetch(
      new Request("/api/chat/stop", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ session_id: sessionId }),
      }),
    );
    if (!response.ok) setError((await errorOf(response)).detail);
  }, []);

  /** Stops reading (the run goes on) and forgets the turn shown. */
  const detach = useCallback(() => {
    reading.current?.abort();
    reading.current = null;
    turnRef.current = null;
    setTurn(null);
  }, []);

  useEffect(() => () => reading.current?.abort(), []);

  return { turn, error, send, attach, stop, detach };
}
