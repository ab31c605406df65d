import { Alert, Anchor, Button, Card, Group, SimpleGrid, Stack, Text, Timeline, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDownload, IconPlayerStop } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";

import { api, unwrap, type Schemas } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading, StatusBadge } from "../common";
import "../locales";
import { saveFile, useAgentNames } from "../helpers";
import { TraceEntry } from "./TraceEntry";
import { buildTimeline, millisBetween, type Step } from "./timeline";
import { allEvents, isActive, useRunTrace } from "./useRunTrace";

function Fact({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm">{value}</Text>
    </div>
  );
}

function StepTitle({ step }: { step: Step }) {
  const { t } = useTranslation();
  const format = useFormat();
  const took = millisBetween(step.started, step.completed);
  if (step.index === null) return <Text fw={600}>{t("trace.run")}</Text>;
  return (
    <Group gap="xs">
      <Text fw={600}>{t("trace.step", { index: step.index + 1 })}</Text>
      <Text c="dimmed">{t(`trace.kind.${step.kind}`, { defaultValue: step.kind })}</Text>
      {took !== null && <Text size="sm" c="dimmed">{t("trace.ms", { value: format.number(took) })}</Text>}
    </Group>
  );
}

function WaitingApproval({ run }: { run: Schemas["RunPublic"] }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const decide = useMutation({
    mutationFn: async (approve: boolean) =>
      unwrap(await api.POST("/api/runs/{run_id}/decision", { params: { path: { run_id: run.id } }, body: { approve } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["runs", run.id] }),
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Alert color="yellow" title={t("trace.waitingTitle")}>
      <Stack gap="xs">
        <Text size="sm">{t("trace.waitingBody")}</Text>
        <Group>
          <Button size="xs" onClick={() => decide.mutate(true)} loading={decide.isPending && decide.variables}>
            {t("trace.allow")}
          </Button>
          <Button size="xs" variant="default" onClick={() => decide.mutate(false)} loading={decide.isPending && !decide.variables}>
            {t("trace.deny")}
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/** One run's trace: its steps, model calls, tool calls, blocks and approvals, live. */
export function TracePage() {
  const { runId = "" } = useParams();
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe();
  const agents = useAgentNames();
  const queryClient = useQueryClient();
  const { run, events, error } = useRunTrace(runId);
  const cancel = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/runs/{run_id}/cancel", { params: { path: { run_id: runId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["runs", runId] }),
  });
  const exportJson = useMutation({
    mutationFn: async () => {
      const trace = { run: run.data, events: await allEvents(runId) };
      saveFile(`run-${runId}.json`, JSON.stringify(trace, null, 2), "application/json");
    },
    onError: (caught) => notifications.show({ color: "red", message: caught.message }),
  });

  if (run.isPending) return <Loading />;
  if (run.error) return <ErrorAlert error={run.error} />;
  const data = run.data;
  const steps = buildTimeline(events);
  const active = isActive(data.status);
  const took = data.started_at && data.finished_at ? new Date(data.finished_at).getTime() - new Date(data.started_at).getTime() : null;

  return (
    <Stack maw={1100}>
      <Group justify="space-between" align="flex-start">
        <Stack gap={4}>
          <Anchor component={Link} to="/runs" size="sm">{t("trace.back")}</Anchor>
          <Title order={2}>{t("trace.title")}</Title>
          <Text size="sm" c="dimmed">{data.id}</Text>
        </Stack>
        <Group>
          {active && (
            <Button variant="default" leftSection={<IconPlayerStop size={16} />} onClick={() => cancel.mutate()} loading={cancel.isPending}>
              {t("trace.cancel")}
            </Button>
          )}
          <Button leftSection={<IconDownload size={16} />} onClick={() => exportJson.mutate()} loading={exportJson.isPending}>
            {t("trace.export")}
          </Button>
        </Group>
      </Group>
      <Card withBorder>
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }}>
          <Fact label={t("runs.status")} value={<StatusBadge status={data.status} />} />
          <Fact label={t("runList.agent")} value={agents.get(data.agent_id) ?? data.agent_id} />
          <Fact label={t("agents.model")} value={data.model ?? "—"} />
          <Fact label={t("runs.tokens")} value={`${format.number(data.usage.prompt_tokens)} + ${format.number(data.usage.completion_tokens)}`} />
          <Fact label={t("runs.steps")} value={format.number(data.step_count)} />
          <Fact label={t("trace.duration")} value={took === null ? "—" : t("trace.ms", { value: format.number(took) })} />
        </SimpleGrid>
        <Text size="sm" mt="sm" fw={500}>{t("runs.input")}</Text>
        <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{data.input}</Text>
        {data.output && (
          <>
            <Text size="sm" mt="sm" fw={500}>{t("trace.output")}</Text>
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{data.output}</Text>
          </>
        )}
        {data.error && <Text size="sm" mt="sm" c="red">{data.error}</Text>}
      </Card>
      {data.status === "waiting_approval" && <WaitingApproval run={data} />}
      {error !== null && <ErrorAlert error={error} />}
      {active && <Text size="sm" c="dimmed" aria-live="polite">{t("trace.live")}</Text>}
      <Timeline bulletSize={20} lineWidth={2} active={steps.length}>
        {steps.map((step, i) => (
          <Timeline.Item key={`${step.index ?? "run"}-${i}`} title={<StepTitle step={step} />}>
            <Stack gap="xs" mt="xs">
              {step.entries.map((entry, j) => (
                <TraceEntry key={j} entry={entry} canReview={isAdmin(me.data)} />
              ))}
            </Stack>
          </Timeline.Item>
        ))}
      </Timeline>
    </Stack>
  );
}
