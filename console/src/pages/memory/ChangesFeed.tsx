import { Badge, Button, Group, Paper, SegmentedControl, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconArrowBackUp } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";

type Origin = "auto" | "agent" | "person" | "ingest";
type Shown = "self" | "person" | "ingest" | "all";

// "By itself": what extraction wrote on its own (auto) and what the agent chose to keep (agent).
const ORIGINS: Record<Shown, Origin[] | undefined> = {
  self: ["auto", "agent"],
  person: ["person"],
  ingest: ["ingest"],
  all: undefined,
};

/** The memory writes nobody asked for, newest first, each with a Revert that undoes it. */
export function ChangesFeed({ agentId }: { agentId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [shown, setShown] = useState<Shown>("self");
  const changes = useQuery({
    queryKey: ["memory", agentId, "changes", shown],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/memory/changes", {
          params: { query: { agent_id: agentId, origin: ORIGINS[shown] } },
        }),
      ),
  });
  // Names the block a change touched: the feed itself only carries its id.
  const blocks = useQuery({
    queryKey: ["memory", agentId, "blocks"],
    queryFn: async () =>
      unwrap(await api.GET("/api/memory/blocks", { params: { query: { agent_id: agentId } } })),
  });
  const labels = new Map((blocks.data ?? []).map((block) => [block.id, block.label]));
  const revert = useMutation({
    mutationFn: async (changeId: string) =>
      unwrap(
        await api.POST("/api/memory/changes/{change_id}/revert", {
          params: { path: { change_id: changeId } },
        }),
      ),
    onSuccess: () => {
      notifications.show({ color: "green", message: t("memory.changes.reverted") });
      void queryClient.invalidateQueries({ queryKey: ["memory", agentId] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Text c="dimmed" size="sm">
        {t("memory.changes.hint")}
      </Text>
      <SegmentedControl
        w="fit-content"
        value={shown}
        onChange={(value) => setShown(value as Shown)}
        data={(["self", "person", "ingest", "all"] as const).map((value) => ({
          value,
          label: t(`memory.shown.${value}`),
        }))}
      />
      {changes.isPending && <Loading />}
      {changes.error && <ErrorAlert error={changes.error} />}
      {changes.data?.items.length === 0 && <Text c="dimmed">{t("memory.changes.none")}</Text>}
      {changes.data?.items.map((change) => (
        <ChangeCard
          key={change.id}
          change={change}
          label={labels.get(change.target_id)}
          reverting={revert.isPending && revert.variables === change.id}
          onRevert={() => revert.mutate(change.id)}
        />
      ))}
    </Stack>
  );
}

function ChangeCard({
  change,
  label,
  reverting,
  onRevert,
}: {
  change: Schemas["ChangePublic"];
  label: string | undefined;
  reverting: boolean;
  onRevert: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <Paper withBorder p="sm" data-testid="memory-change">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Stack gap={4} style={{ minWidth: 0 }}>
          <Group gap="xs">
            <Badge variant="light">{t(`memory.action.${change.action}`, { defaultValue: change.action })}</Badge>
            <Badge variant="outline">
              {t(`memory.target.${change.target}`, { defaultValue: change.target })}
              {label && `: ${label}`}
            </Badge>
            <Badge variant="dot">{t(`memory.origin.${change.origin}`, { defaultValue: change.origin })}</Badge>
            <Text size="xs" c="dimmed">
              {format.dateTime(change.created_at)}
            </Text>
          </Group>
          {change.before !== null && change.before !== change.after && (
            <Text size="sm" c="red" td="line-through" style={{ whiteSpace: "pre-wrap" }} lineClamp={4}>
              {change.before}
            </Text>
          )}
          {change.after !== null && (
            <Text size="sm" style={{ whiteSpace: "pre-wrap" }} lineClamp={6}>
              {change.after || t("memory.blocks.empty")}
            </Text>
          )}
          {change.reason && (
            <Text size="xs" c="dimmed">
              {change.reason}
            </Text>
          )}
        </Stack>
        <Button
          size="xs"
          variant="light"
          leftSection={<IconArrowBackUp size={14} />}
          loading={reverting}
          onClick={onRevert}
        >
          {t("memory.changes.revert")}
        </Button>
      </Group>
    </Paper>
  );
}
