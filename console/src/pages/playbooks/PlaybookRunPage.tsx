import { Anchor, Badge, Button, Card, Group, Stack, Text, Timeline, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link, useParams } from "react-router";

import { api, unwrap } from "../../api/client";
import { ErrorAlert, Loading, StatusBadge } from "../common";
import "../locales";
import { RunArtifacts } from "./RunArtifacts";
import { TakeOverForm } from "./TakeOverForm";

const GOING = new Set(["pending", "running"]);

/** A playbook run: every stage execution in order (worker, attempt, review, hand-off size),
 * the artifacts it delivered, and the owner's takeover of a stuck stage. */
export function PlaybookRunPage() {
  const { t } = useTranslation();
  const { playbookRunId = "" } = useParams();
  const queryClient = useQueryClient();
  const path = { playbook_run_id: playbookRunId };
  const run = useQuery({
    queryKey: ["playbook-runs", playbookRunId],
    queryFn: async () => unwrap(await api.GET("/api/playbook-runs/{playbook_run_id}", { params: { path } })),
    refetchInterval: (q) => (GOING.has(q.state.data?.status ?? "") ? 1000 : false),
  });
  const abort = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/playbook-runs/{playbook_run_id}/abort", { params: { path }, body: {} })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["playbook-runs", playbookRunId] }),
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  if (run.isPending) return <Loading />;
  if (run.error) return <ErrorAlert error={run.error} />;
  const data = run.data;
  const open = GOING.has(data.status) || data.status === "waiting_owner";
  return (
    <Stack>
      <Group justify="space-between">
        <Group>
          <Title order={2}>{t("playbooks.runTitle")}</Title>
          <StatusBadge status={data.status} />
        </Group>
        {open && (
          <Button color="red" variant="light" onClick={() => abort.mutate()} loading={abort.isPending}>
            {t("playbooks.abort")}
          </Button>
        )}
      </Group>
      <Text>{data.objective}</Text>
      {data.error && <Text c="red">{data.error}</Text>}
      <Timeline active={data.current_stage} bulletSize={18}>
        {data.stage_names.map((name, index) => {
          const executions = (data.stages ?? []).filter((s) => s.stage_index === index);
          return (
            <Timeline.Item key={name} title={name}>
              {executions.map((stage) => (
                <Card key={stage.id} withBorder mt="xs" data-testid="stage-execution">
                  <Group gap="xs">
                    <Badge variant="light">{t(`playbooks.stageStatus.${stage.status}`, { defaultValue: stage.status })}</Badge>
                    <Text size="sm">{t("playbooks.attempt", { attempt: stage.attempt })}</Text>
                    {stage.run_id && (
                      <Anchor component={Link} to={`/runs/${stage.run_id}`} size="sm">
                        {t("playbooks.trace")}
                      </Anchor>
                    )}
                    <Text size="sm" c="dimmed">
                      {t("playbooks.handoff", {
                        handoff: stage.handoff_tokens,
                        full: stage.full_history_tokens,
                      })}
                    </Text>
                  </Group>
                  {stage.summary && <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{stage.summary}</Text>}
                  {stage.review && (
                    <Text size="sm" c={stage.review.decision === "reject" ? "red" : "green"}>
                      {t("playbooks.review", {
                        decision: String(stage.review.decision ?? ""),
                        reason: String(stage.review.reason ?? ""),
                      })}
                    </Text>
                  )}
                  {stage.note && <Text size="sm" c="orange">{stage.note}</Text>}
                </Card>
              ))}
            </Timeline.Item>
          );
        })}
      </Timeline>
      {data.result_summary && (
        <Card withBorder>
          <Title order={4}>{t("playbooks.result")}</Title>
          <Text style={{ whiteSpace: "pre-wrap" }}>{data.result_summary}</Text>
        </Card>
      )}
      {open && <TakeOverForm playbookRunId={data.id} stage={data.current_stage_name} />}
      <RunArtifacts playbookRunId={data.id} />
    </Stack>
  );
}
