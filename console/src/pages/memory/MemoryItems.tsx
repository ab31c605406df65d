import { Badge, Button, Group, Paper, Select, Stack, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconSearch } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import { ConfirmButton } from "../ConfirmButton";

type Layer = "episodic" | "archival";
type Status = "active" | "retired" | "all";
type Action = "retire" | "restore" | "delete";

const KINDS: Record<Layer, string[]> = {
  episodic: ["message", "summary", "outcome", "lesson", "fact", "preference", "note"],
  archival: ["chunk", "note"],
};

/** Episodic and archival items with filters, and a search that shows how each hit scored. */
export function MemoryItems({ agentId }: { agentId: string }) {
  const { t } = useTranslation();
  const [layer, setLayer] = useState<Layer>("episodic");
  const [kind, setKind] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>("active");
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const items = useQuery({
    queryKey: ["memory", agentId, "items", layer, kind, status],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/memory/items", {
          params: { query: { agent_id: agentId, layer, kind: kind ?? undefined, status } },
        }),
      ),
    enabled: query === "",
  });
  const search = useQuery({
    queryKey: ["memory", agentId, "search", layer, query],
    queryFn: async () =>
      unwrap(
        await api.POST("/api/memory/search", { body: { agent_id: agentId, query, layers: [layer], limit: 20 } }),
      ),
    enabled: query !== "",
  });

  return (
    <Stack>
      <Group align="flex-end">
        <Select
          label={t("memory.items.layer")}
          value={layer}
          onChange={(value) => {
            setLayer((value ?? "episodic") as Layer);
            setKind(null);
          }}
          data={(["episodic", "archival"] as const).map((value) => ({ value, label: t(`memory.layer.${value}`) }))}
          allowDeselect={false}
          w={160}
        />
        <Select
          label={t("memory.items.kind")}
          placeholder={t("memory.items.anyKind")}
          value={kind}
          onChange={setKind}
          data={KINDS[layer].map((value) => ({ value, label: t(`memory.kind.${value}`) }))}
          clearable
          disabled={query !== ""}
          w={160}
        />
        <Select
          label={t("memory.items.status")}
          value={status}
          onChange={(value) => setStatus((value ?? "active") as Status)}
          data={(["active", "retired", "all"] as const).map((value) => ({ value, label: t(`memory.status.${value}`) }))}
          allowDeselect={false}
          disabled={query !== ""}
          w={140}
        />
        <form
          style={{ flex: 1 }}
          onSubmit={(event) => {
            event.preventDefault();
            setQuery(draft.trim());
          }}
        >
          <TextInput
            label={t("memory.items.search")}
            placeholder={t("memory.items.searchHint")}
            leftSection={<IconSearch size={16} />}
            value={draft}
            onChange={(event) => {
              setDraft(event.currentTarget.value);
              if (!event.currentTarget.value) setQuery("");
            }}
          />
        </form>
      </Group>
      {query === "" ? (
        <ItemList agentId={agentId} items={items.data?.items} pending={items.isPending} error={items.error} />
      ) : (
        <SearchHits hits={search.data?.items} pending={search.isPending} error={search.error} />
      )}
    </Stack>
  );
}

function ItemList({
  agentId,
  items,
  pending,
  error,
}: {
  agentId: string;
  items: Schemas["ItemPublic"][] | undefined;
  pending: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const act = useMutation({
    mutationFn: async ({ id, action }: { id: string; action: Action }) => {
      const params = { params: { path: { item_id: id } } };
      if (action === "retire") return unwrap(await api.POST("/api/memory/items/{item_id}/retire", params));
      if (action === "restore") return unwrap(await api.POST("/api/memory/items/{item_id}/restore", params));
      return unwrap(await api.DELETE("/api/memory/items/{item_id}", params));
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["memory", agentId] }),
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  if (pending) return <Loading />;
  if (error) return <ErrorAlert error={error} />;
  if (!items?.length) return <Text c="dimmed">{t("memory.items.none")}</Text>;
  return (
    <Stack gap="xs">
      {items.map((item) => (
        <Paper key={item.id} withBorder p="sm" data-testid="memory-item">
          <Group justify="space-between" align="flex-start" wrap="nowrap">
            <Stack gap={4} style={{ minWidth: 0 }}>
              <Group gap="xs">
                <Badge variant="light">{t(`memory.kind.${item.kind}`, { defaultValue: item.kind })}</Badge>
                <Badge variant="dot">{t(`memory.origin.${item.origin}`, { defaultValue: item.origin })}</Badge>
                {item.status === "retired" && <Badge color="gray">{t("memory.status.retired")}</Badge>}
                {item.source && (
                  <Text size="xs" c="dimmed">
                    {item.source}
                    {item.position !== null && ` #${item.position + 1}`}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {format.dateTime(item.occurred_at)}
                </Text>
              </Group>
              <Text size="sm" style={{ whiteSpace: "pre-wrap" }} lineClamp={6}>
                {item.text}
              </Text>
            </Stack>
            <Group gap="xs" wrap="nowrap">
              {item.status === "active" ? (
                <Button size="xs" variant="subtle" onClick={() => act.mutate({ id: item.id, action: "retire" })}>
                  {t("memory.items.retire")}
                </Button>
              ) : (
                <Button size="xs" variant="subtle" onClick={() => act.mutate({ id: item.id, action: "restore" })}>
                  {t("memory.items.restore")}
                </Button>
              )}
              <ConfirmButton
                label={t("shared.delete")}
                title={t("memory.items.deleteTitle")}
                message={t("memory.items.deleteConfirm")}
                onConfirm={() => act.mutate({ id: item.id, action: "delete" })}
              />
            </Group>
          </Group>
        </Paper>
      ))}
    </Stack>
  );
}

function SearchHits({
  hits,
  pending,
  error,
}: {
  hits: Schemas["SearchHit"][] | undefined;
  pending: boolean;
  error: unknown;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  if (pending) return <Loading />;
  if (error) return <ErrorAlert error={error} />;
  if (!hits?.length) return <Text c="dimmed">{t("memory.items.noHits")}</Text>;
  return (
    <Stack gap="xs">
      {hits.map((hit) => (
        <Paper key={hit.id} withBorder p="sm" data-testid="memory-hit">
          <Group gap="xs">
            <Badge>{t("memory.items.score", { score: format.number(hit.score, { maximumFractionDigits: 3 }) })}</Badge>
            <Badge variant="light">{t(`memory.kind.${hit.kind}`, { defaultValue: hit.kind })}</Badge>
            {hit.lexical_rank !== null && (
              <Text size="xs" c="dimmed">
                {t("memory.items.lexicalRank", { rank: hit.lexical_rank })}
              </Text>
            )}
            {hit.vector_rank !== null && (
              <Text size="xs" c="dimmed">
                {t("memory.items.vectorRank", { rank: hit.vector_rank })}
              </Text>
            )}
            {hit.source && (
              <Text size="xs" c="dimmed">
                {hit.source}
              </Text>
            )}
          </Group>
          <Text size="sm" style={{ whiteSpace: "pre-wrap" }} lineClamp={6}>
            {hit.text}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
