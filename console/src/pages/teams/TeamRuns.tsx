import { Anchor, Button, Group, SegmentedControl, Stack, Table, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, unwrap, type Schemas } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { StatusBadge } from "../common";
import { TeamRunView } from "./TeamRunView";

/** Start a team run and follow it: each member's task, proposal and evidence, then the
 * lead's decision. Earlier runs are listed below. */
export function TeamRuns({ team }: { team: Schemas["GroupDetail"] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [input, setInput] = useState("");
  const [mode, setMode] = useState(team.default_mode);
  const [watching, setWatching] = useState<string | null>(null);
  const path = { group_id: team.id };
  const runs = useQuery({
    queryKey: ["groups", team.id, "runs"],
    queryFn: async () => unwrap(await api.GET("/api/groups/{group_id}/runs", { params: { path } })),
  });
  const start = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/groups/{group_id}/runs", {
          params: { path },
          body: { input, mode: mode === "parallel" ? "parallel" : "serial" },
        }),
      ),
    onSuccess: (run) => {
      setInput("");
      setWatching(run.id);
      void queryClient.invalidateQueries({ queryKey: ["groups", team.id, "runs"] });
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Textarea
        label={t("teams.task")}
        value={input}
        onChange={(e) => setInput(e.currentTarget.value)}
        autosize
        minRows={2}
      />
      <Group>
        <SegmentedControl
          value={mode}
          onChange={setMode}
          data={[
            { value: "serial", label: t("teams.serial") },
            { value: "parallel", label: t("teams.parallel") },
          ]}
        />
        <Button onClick={() => start.mutate()} disabled={!input.trim()} loading={start.isPending}>
          {t("teams.startRun")}
        </Button>
      </Group>
      {watching && <TeamRunView runId={watching} />}
      {runs.data && runs.data.items.length === 0 && <Text c="dimmed">{t("teams.noRuns")}</Text>}
      {runs.data && runs.data.items.length > 0 && (
        <Table striped>
          <Table.Tbody>
            {runs.data.items.map((run) => (
              <Table.Tr key={run.id}>
                <Table.Td>
                  <Anchor component="button" onClick={() => setWatching(run.id)}>
                    {run.input.slice(0, 120)}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={run.status} />
                </Table.Td>
                <Table.Td>{format.dateTime(run.created_at)}</Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/runs/${run.id}`} size="sm">
                    {t("teams.trace")}
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
