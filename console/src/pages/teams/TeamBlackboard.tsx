import { Badge, Button, Card, Group, Stack, Text, TextInput, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert } from "../common";

/** The team's shared notes: what its runs decided and what members and people wrote. */
export function TeamBlackboard({ groupId }: { groupId: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const path = { group_id: groupId };
  const entries = useQuery({
    queryKey: ["groups", groupId, "blackboard", query],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/groups/{group_id}/blackboard", {
          params: { path, query: query ? { q: query } : {} },
        }),
      ),
  });
  const write = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/groups/{group_id}/blackboard", { params: { path }, body: { text, kind: "note" } })),
    onSuccess: () => {
      setText("");
      void queryClient.invalidateQueries({ queryKey: ["groups", groupId, "blackboard"] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Group align="flex-end">
        <Textarea
          label={t("teams.note")}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          autosize
          style={{ flex: 1 }}
        />
        <Button onClick={() => write.mutate()} disabled={!text.trim()} loading={write.isPending}>
          {t("teams.addNote")}
        </Button>
      </Group>
      <TextInput
        label={t("teams.search")}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        onKeyDown={(e) => e.key === "Enter" && setQuery(search.trim())}
      />
      {entries.error && <ErrorAlert error={entries.error} />}
      {entries.data?.items.length === 0 && <Text c="dimmed">{t("teams.emptyBoard")}</Text>}
      {entries.data?.items.map((entry) => (
        <Card key={entry.id} withBorder data-testid="blackboard-entry">
          <Group gap="xs">
            <Badge variant="light">{entry.kind}</Badge>
            <Text size="sm" c="dimmed">
              {t(`teams.origin.${entry.origin}`, { defaultValue: entry.origin })} ·{" "}
              {format.dateTime(entry.created_at)}
            </Text>
            {entry.score != null && (
              <Text size="sm" c="dimmed">
                {t("teams.score", { score: entry.score.toFixed(3) })}
              </Text>
            )}
          </Group>
          <Text style={{ whiteSpace: "pre-wrap" }}>{entry.text}</Text>
        </Card>
      ))}
    </Stack>
  );
}
