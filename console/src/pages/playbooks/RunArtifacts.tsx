import { Anchor, Badge, Card, Code, Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";

/** What the playbook run delivered to its project's vault; click one to read it. */
export function RunArtifacts({ playbookRunId }: { playbookRunId: string }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const artifacts = useQuery({
    queryKey: ["vault", playbookRunId],
    queryFn: async () =>
      unwrap(await api.GET("/api/vault/artifacts", { params: { query: { playbook_run_id: playbookRunId } } })),
    refetchInterval: 2000,
  });
  const content = useQuery({
    queryKey: ["vault", "artifact", open],
    queryFn: async () =>
      unwrap(await api.GET("/api/vault/artifacts/{artifact_id}", { params: { path: { artifact_id: open ?? "" } } })),
    enabled: open !== null,
  });
  return (
    <Stack>
      <Title order={3}>{t("playbooks.artifacts")}</Title>
      {artifacts.data?.total === 0 && <Text c="dimmed">{t("playbooks.noArtifacts")}</Text>}
      {artifacts.data?.items.map((artifact) => (
        <Card key={artifact.id} withBorder data-testid="artifact">
          <Group gap="xs">
            <Anchor component="button" onClick={() => setOpen(open === artifact.id ? null : artifact.id)}>
              {artifact.ref}
            </Anchor>
            <Badge variant="light">{artifact.kind}</Badge>
            {artifact.stage && <Badge variant="outline">{artifact.stage}</Badge>}
            {artifact.commit && (
              <Text size="xs" c="dimmed">
                {artifact.commit.slice(0, 10)}
              </Text>
            )}
          </Group>
          <Text size="sm">{artifact.summary}</Text>
          {open === artifact.id && content.data && (
            <Code block mt="xs">
              {content.data.value ?? t("playbooks.binary")}
            </Code>
          )}
        </Card>
      ))}
    </Stack>
  );
}
