import { Alert, Button, Grid, Group, Select, Stack, Text } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate, useParams } from "react-router";

import { api, unwrap } from "../api/client";
import { isAdmin, useMe } from "../auth/useMe";
import { Composer } from "../chat/Composer";
import { Messages } from "../chat/Messages";
import { SessionList } from "../chat/SessionList";
import { isFinished, loadTurn, newTurn } from "../chat/turn";
import { readsFiles } from "../chat/uploads";
import { useLiveTurn } from "../chat/useLiveTurn";
import { usePastSteps } from "../chat/usePastSteps";
import { ErrorAlert, Loading } from "./common";

const ACTIVE = new Set(["pending", "running", "waiting_approval"]);

export function ChatPage() {
  const { t } = useTranslation();
  const { sessionId } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const [pickedAgent, setPickedAgent] = useState<string | null>(null);

  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: async () => unwrap(await api.GET("/api/agents")),
  });
  const session = useQuery({
    queryKey: ["session", sessionId],
    queryFn: async () =>
      unwrap(await api.GET("/api/sessions/{session_id}", { params: { path: { session_id: sessionId ?? "" } } })),
    enabled: sessionId !== undefined,
  });
  const messages = useQuery({
    queryKey: ["messages", sessionId],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/sessions/{session_id}/messages", {
          params: { path: { session_id: sessionId ?? "" } },
        }),
      ),
    enabled: sessionId !== undefined,
  });

  const live = useLiveTurn(
    (started) => {
      if (started !== sessionId) void navigate(`/chat/${started}`, { replace: sessionId !== undefined });
      void queryClient.invalidateQueries({ queryKey: ["sessions"] });
    },
    () => {
      void queryClient.invalidateQueries({ queryKey: ["messages"] });
      void queryClient.invalidateQueries({ queryKey: ["sessions"] });
    },
  );
  const { turn, attach, detach } = live;

  // Switching to another conversation stops reading this one (its run goes on); a new chat
  // navigating to the session it just created keeps streaming.
  const previous = useRef(sessionId);
  useEffect(() => {
    if (previous.current !== undefined && previous.current !== sessionId) detach();
    previous.current = sessionId;
  }, [sessionId, detach]);

  // A conversation whose answer is still running (after a reload, or opened elsewhere) is
  // re-attached from where this tab left off, or from the start.
  useEffect(() => {
    if (!sessionId || !messages.data || turn?.sessionId === sessionId) return;
    const last = messages.data[messages.data.length - 1];
    if (last?.role !== "user" || !ACTIVE.has(last.status)) return;
    const saved = loadTurn(sessionId);
    void attach(saved?.runId === last.run_id ? saved : newTurn(sessionId, last.run_id));
  }, [sessionId, messages.data, turn?.sessionId, attach]);

  const agentId = session.data?.agent_id ?? pickedAgent ?? agents.data?.[0]?.id ?? null;
  const agent = agents.data?.find((a) => a.id === agentId);
  const finishedRuns = (sessionId ? (messages.data ?? []) : [])
    .filter((m) => m.role === "assistant" && !ACTIVE.has(m.status))
    .map((m) => m.run_id);
  const pastSteps = usePastSteps(finishedRuns);
  const busy = turn !== null && turn.sessionId === sessionId && !isFinished(turn);
  const noAgents = agents.data?.length === 0;

  return (
    <Grid gutter="md">
      <Grid.Col span={{ base: 12, sm: 4, lg: 3 }}>
        <Stack gap="sm">
          <Select
            label={t("chat.agent")}
            placeholder={t("chat.pickAgent")}
            data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            value={agentId}
            onChange={setPickedAgent}
            disabled={sessionId !== undefined}
            allowDeselect={false}
          />
          <Button
            component={Link}
            to="/chat"
            variant="light"
            leftSection={<IconPlus size={16} />}
            onClick={() => setPickedAgent(null)}
          >
            {t("chat.newChat")}
          </Button>
          <SessionList current={sessionId} />
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, sm: 8, lg: 9 }}>
        <Stack gap="md" mih="calc(100vh - 120px)" justify="space-between">
          <Stack gap="sm">
            {noAgents && <Alert color="yellow">{t("chat.noAgents")}</Alert>}
            {(session.error ?? messages.error) && <ErrorAlert error={session.error ?? messages.error} />}
            {sessionId && messages.isPending && <Loading />}
            {!sessionId && !turn && (
              <Text c="dimmed" ta="center" mt="xl">
                {t("chat.empty")}
              </Text>
            )}
            <Messages
              messages={sessionId ? (messages.data ?? []) : []}
              turn={turn}
              pastSteps={pastSteps}
              admin={isAdmin(me.data)}
              onDecide={(command) => void live.send({ agentId, sessionId: sessionId ?? null, message: command })}
            />
            {live.error && <ErrorAlert error={new Error(live.error)} />}
          </Stack>
          <Group grow>
            <Composer
              busy={busy}
              disabled={agentId === null}
              attachTo={agent && readsFiles(agent.tools) ? agent.id : null}
              onSend={(message) => void live.send({ agentId, sessionId: sessionId ?? null, message })}
              onStop={() => sessionId && void live.stop(sessionId)}
            />
          </Group>
        </Stack>
      </Grid.Col>
    </Grid>
  );
}
