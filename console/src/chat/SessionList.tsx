import { NavLink, ScrollArea, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, unwrap } from "../api/client";
import { useFormat } from "../i18n/format";

export function SessionList({ current }: { current: string | undefined }) {
  const { t } = useTranslation();
  const format = useFormat();
  const sessions = useQuery({
    queryKey: ["sessions"],
    queryFn: async () => unwrap(await api.GET("/api/sessions", { params: { query: { limit: 100 } } })),
  });
  return (
    <Stack gap={4} component="nav" aria-label={t("chat.sessions")} h="100%">
      <Text size="xs" fw={700} c="dimmed" tt="uppercase">
        {t("chat.sessions")}
      </Text>
      <ScrollArea.Autosize mah="calc(100vh - 220px)">
        {sessions.data?.items.length === 0 && (
          <Text size="sm" c="dimmed">
            {t("chat.noSessions")}
          </Text>
        )}
        {sessions.data?.items.map((session) => (
          <NavLink
            key={session.id}
            component={Link}
            to={`/chat/${session.id}`}
            active={session.id === current}
            label={session.title ?? t("chat.untitled")}
            description={format.relative(session.updated_at)}
          />
        ))}
      </ScrollArea.Autosize>
    </Stack>
  );
}
