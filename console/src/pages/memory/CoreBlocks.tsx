import { Button, Group, Modal, Paper, Progress, Stack, Text, Textarea, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";

type Block = Schemas["BlockPublic"];

/** The agent's core blocks: always in its prompt, so how full each is matters. */
export function CoreBlocks({ agentId }: { agentId: string }) {
  const { t } = useTranslation();
  const [editing, setEditing] = useState<Block | null>(null);
  const [history, setHistory] = useState<Block | null>(null);
  const blocks = useQuery({
    queryKey: ["memory", agentId, "blocks"],
    queryFn: async () =>
      unwrap(await api.GET("/api/memory/blocks", { params: { query: { agent_id: agentId } } })),
  });
  return (
    <Stack>
      {blocks.isPending && <Loading />}
      {blocks.error && <ErrorAlert error={blocks.error} />}
      {blocks.data?.length === 0 && <Text c="dimmed">{t("memory.blocks.none")}</Text>}
      {blocks.data?.map((block) => (
        <Paper key={block.id} withBorder p="sm" data-testid="memory-block">
          <Group justify="space-between">
            <Title order={4}>{block.label}</Title>
            <Group gap="xs">
              <Button size="xs" variant="subtle" onClick={() => setHistory(block)}>
                {t("memory.history")}
              </Button>
              <Button size="xs" variant="light" onClick={() => setEditing(block)}>
                {t("shared.edit")}
              </Button>
            </Group>
          </Group>
          {block.description && (
            <Text size="xs" c="dimmed">
              {block.description}
            </Text>
          )}
          <Text size="sm" my="xs" style={{ whiteSpace: "pre-wrap" }}>
            {block.value || t("memory.blocks.empty")}
          </Text>
          <Progress
            value={(100 * block.chars) / block.char_limit}
            color={block.chars > 0.9 * block.char_limit ? "red" : "blue"}
            size="sm"
          />
          <Text size="xs" c="dimmed">
            {t("memory.blocks.fill", { chars: block.chars, limit: block.char_limit })}
          </Text>
        </Paper>
      ))}
      {editing && <EditBlock block={editing} agentId={agentId} onClose={() => setEditing(null)} />}
      {history && <BlockHistory block={history} onClose={() => setHistory(null)} />}
    </Stack>
  );
}

function EditBlock({ block, agentId, onClose }: { block: Block; agentId: string; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [value, setValue] = useState(block.value);
  const save = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.PATCH("/api/memory/blocks/{block_id}", {
          params: { path: { block_id: block.id } },
          body: { value },
        }),
      ),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["memory", agentId] });
      onClose();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Modal opened onClose={onClose} title={block.label} size="lg">
      <Stack>
        <Textarea
          autosize
          minRows={4}
          value={value}
          onChange={(event) => setValue(event.currentTarget.value)}
          description={t("memory.blocks.fill", { chars: value.length, limit: block.char_limit })}
          error={value.length > block.char_limit ? t("memory.blocks.tooLong") : undefined}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t("shared.cancel")}
          </Button>
          <Button loading={save.isPending} disabled={value.length > block.char_limit} onClick={() => save.mutate()}>
            {t("shared.save")}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function BlockHistory({ block, onClose }: { block: Block; onClose: () => void }) {
  const { t } = useTranslation();
  const history = useQuery({
    queryKey: ["memory", block.agent_id, "blockHistory", block.id],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/memory/blocks/{block_id}/history", {
          params: { path: { block_id: block.id } },
        }),
      ),
  });
  return (
    <Modal opened onClose={onClose} title={t("memory.historyOf", { name: block.label })} size="lg">
      <ChangeList changes={history.data} pending={history.isPending} error={history.error} />
    </Modal>
  );
}

/** An item's or a block's versions, oldest first. */
export function ChangeList({
  changes,
  pending,
  error,
}: {
  changes: Schemas["ChangePublic"][] | undefined;
  pending: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  if (pending) return <Loading />;
  if (error) return <ErrorAlert error={error} />;
  return (
    <Stack gap="xs">
      {changes?.map((change) => (
        <Paper key={change.id} withBorder p="xs">
          <Text size="xs" c="dimmed">
            v{change.version} · {t(`memory.action.${change.action}`, { defaultValue: change.action })} ·{" "}
            {t(`memory.origin.${change.origin}`, { defaultValue: change.origin })} · {format.dateTime(change.created_at)}
          </Text>
          <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>
            {change.after ?? change.before ?? ""}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
