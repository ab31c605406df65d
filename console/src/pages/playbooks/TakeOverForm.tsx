import { Button, Card, Group, Select, Stack, Text, TextInput, Textarea, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";

/** The owner completes the current stage by hand: a summary, optionally one artifact, and for
 * a review stage the decision. */
export function TakeOverForm({ playbookRunId, stage }: { playbookRunId: string; stage: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [summary, setSummary] = useState("");
  const [kind, setKind] = useState("");
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [decision, setDecision] = useState<string | null>(null);
  const takeOver = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/playbook-runs/{playbook_run_id}/takeover", {
          params: { path: { playbook_run_id: playbookRunId } },
          body: {
            summary,
            artifacts: key ? [{ kind, key, value, summary }] : [],
            decision: decision === "approve" || decision === "reject" ? decision : null,
          },
        }),
      ),
    onSuccess: () => {
      notifications.show({ color: "green", message: t("playbooks.takenOver") });
      void queryClient.invalidateQueries({ queryKey: ["playbook-runs", playbookRunId] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <Card withBorder>
      <Stack>
        <Title order={4}>{t("playbooks.takeOver", { stage })}</Title>
        <Text size="sm" c="dimmed">
          {t("playbooks.takeOverHint")}
        </Text>
        <Textarea label={t("playbooks.summary")} value={summary} onChange={(e) => setSummary(e.currentTarget.value)} autosize />
        <Group grow>
          <TextInput label={t("playbooks.kind")} value={kind} onChange={(e) => setKind(e.currentTarget.value)} />
          <TextInput label={t("playbooks.key")} value={key} onChange={(e) => setKey(e.currentTarget.value)} />
          <Select
            label={t("playbooks.decision")}
            data={[
              { value: "approve", label: t("playbooks.approve") },
              { value: "reject", label: t("playbooks.reject") },
            ]}
            value={decision}
            onChange={setDecision}
            clearable
          />
        </Group>
        <Textarea label={t("playbooks.content")} value={value} onChange={(e) => setValue(e.currentTarget.value)} autosize />
        <Group>
          <Button onClick={() => takeOver.mutate()} disabled={!summary.trim()} loading={takeOver.isPending}>
            {t("playbooks.complete")}
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
