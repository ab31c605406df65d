import { Anchor, Button, Card, Group, Select, Stack, Table, Text, Textarea, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link, useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading, StatusBadge } from "../common";
import "../locales";

const EXAMPLE = `name: feature
stages:
  - {name: design, role: planner, delivers: [design]}
  - {name: implement, role: developer, delivers: [code]}
  - {name: review, role: reviewer, review: {on_reject: implement}}
`;

/** Playbooks: write one as YAML, start a run on an objective, follow earlier runs. */
export function PlaybooksPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [yaml, setYaml] = useState(EXAMPLE);
  const [chosen, setChosen] = useState<string | null>(null);
  const [objective, setObjective] = useState("");
  const [team, setTeam] = useState<string | null>(null);
  const playbooks = useQuery({ queryKey: ["playbooks"], queryFn: async () => unwrap(await api.GET("/api/playbooks")) });
  const teams = useQuery({
    queryKey: ["groups"],
    queryFn: async () => unwrap(await api.GET("/api/groups", { params: { query: { limit: 200 } } })),
  });
  const runs = useQuery({
    queryKey: ["playbook-runs"],
    queryFn: async () => unwrap(await api.GET("/api/playbook-runs")),
  });
  const failed = (error: Error) => notifications.show({ color: "red", message: error.message });
  const create = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/playbooks", { body: { yaml } })),
    onSuccess: (playbook) => {
      setChosen(playbook.id);
      void queryClient.invalidateQueries({ queryKey: ["playbooks"] });
    },
    onError: failed,
  });
  const start = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/playbooks/{playbook_id}/runs", {
          params: { path: { playbook_id: chosen ?? "" } },
          body: { objective, group_id: team },
        }),
      ),
    onSuccess: (run) => void navigate(`/playbook-runs/${run.id}`),
    onError: failed,
  });

  return (
    <Stack>
      <Title order={2}>{t("playbooks.title")}</Title>
      <Card withBorder>
        <Stack>
          <Textarea
            label={t("playbooks.yaml")}
            value={yaml}
            onChange={(e) => setYaml(e.currentTarget.value)}
            autosize
            minRows={6}
            styles={{ input: { fontFamily: "monospace" } }}
          />
          <Group>
            <Button onClick={() => create.mutate()} loading={create.isPending}>
              {t("playbooks.save")}
            </Button>
          </Group>
        </Stack>
      </Card>
      {playbooks.isPending && <Loading />}
      {playbooks.error && <ErrorAlert error={playbooks.error} />}
      <Card withBorder>
        <Group align="flex-end">
          <Select
            label={t("playbooks.playbook")}
            data={(playbooks.data ?? []).map((p) => ({ value: p.id, label: p.name }))}
            value={chosen}
            onChange={setChosen}
          />
          <Select
            label={t("playbooks.team")}
            data={(teams.data?.items ?? []).map((g) => ({ value: g.id, label: g.name }))}
            value={team}
            onChange={setTeam}
            clearable
          />
          <TextInput
            label={t("playbooks.objective")}
            value={objective}
            onChange={(e) => setObjective(e.currentTarget.value)}
            style={{ flex: 1 }}
          />
          <Button onClick={() => start.mutate()} disabled={!chosen || !objective.trim()} loading={start.isPending}>
            {t("playbooks.start")}
          </Button>
        </Group>
      </Card>
      <Title order={3}>{t("playbooks.runs")}</Title>
      {runs.data?.length === 0 && <Text c="dimmed">{t("playbooks.noRuns")}</Text>}
      {runs.data && runs.data.length > 0 && (
        <Table striped>
          <Table.Tbody>
            {runs.data.map((run) => (
              <Table.Tr key={run.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/playbook-runs/${run.id}`}>
                    {run.objective.slice(0, 120)}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={run.status} />
                </Table.Td>
                <Table.Td>{run.current_stage_name}</Table.Td>
                <Table.Td>{format.dateTime(run.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
