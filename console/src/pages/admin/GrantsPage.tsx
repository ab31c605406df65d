import { Button, Group, SegmentedControl, Select, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import { useAgentNames, useUserNames } from "../helpers";

/** Who may use which agent, looked at per user or per agent. */
export function GrantsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const users = useUserNames();
  const agents = useAgentNames();
  const [by, setBy] = useState<"user" | "agent">("user");
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState<string | null>(null);
  const query = selected ? (by === "user" ? { user_id: selected } : { agent_id: selected }) : {};
  const grants = useQuery({
    queryKey: ["admin", "grants", query],
    queryFn: async () => unwrap(await api.GET("/api/admin/grants", { params: { query } })),
  });
  const invalidate = () => void queryClient.invalidateQueries({ queryKey: ["admin", "grants"] });
  const create = useMutation({
    mutationFn: async (other: string) => {
      const body = by === "user" ? { user_id: selected ?? "", agent_id: other } : { user_id: other, agent_id: selected ?? "" };
      return unwrap(await api.POST("/api/admin/grants", { body }));
    },
    onSuccess: () => { setAdding(null); invalidate(); },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const revoke = useMutation({
    mutationFn: async (grantId: string) =>
      unwrap(await api.DELETE("/api/admin/grants/{grant_id}", { params: { path: { grant_id: grantId } } })),
    onSuccess: invalidate,
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const subjects = by === "user" ? users : agents;
  const others = by === "user" ? agents : users;
  const granted = new Set((grants.data ?? []).map((g) => (by === "user" ? g.agent_id : g.user_id)));

  return (
    <Stack>
      <Group align="flex-end">
        <SegmentedControl value={by} onChange={(v) => { setBy(v as "user" | "agent"); setSelected(null); }}
          data={[{ value: "user", label: t("grants.byUser") }, { value: "agent", label: t("grants.byAgent") }]} aria-label={t("grants.view")} />
        <Select label={by === "user" ? t("grants.user") : t("grants.agent")} placeholder={t("grants.all")} searchable clearable
          data={[...subjects].map(([value, label]) => ({ value, label }))} value={selected} onChange={setSelected} />
        {selected && (
          <>
            <Select label={by === "user" ? t("grants.addAgent") : t("grants.addUser")} searchable value={adding} onChange={setAdding}
              data={[...others].filter(([id]) => !granted.has(id)).map(([value, label]) => ({ value, label }))} />
            <Button disabled={!adding} loading={create.isPending} onClick={() => adding && create.mutate(adding)}>{t("grants.grant")}</Button>
          </>
        )}
      </Group>
      {grants.isPending && <Loading />}
      {grants.error && <ErrorAlert error={grants.error} />}
      {grants.data?.length === 0 && <Text c="dimmed">{t("grants.none")}</Text>}
      {grants.data && grants.data.length > 0 && (
        <Table.ScrollContainer minWidth={600}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("grants.user")}</Table.Th>
                <Table.Th>{t("grants.agent")}</Table.Th>
                <Table.Th>{t("grants.since")}</Table.Th>
                <Table.Th>{t("shared.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {grants.data.map((g) => (
                <Table.Tr key={g.id}>
                  <Table.Td>{users.get(g.user_id) ?? g.user_id}</Table.Td>
                  <Table.Td>{agents.get(g.agent_id) ?? g.agent_id}</Table.Td>
                  <Table.Td>{format.dateTime(g.created_at)}</Table.Td>
                  <Table.Td>
                    <Button size="xs" color="red" variant="light" onClick={() => revoke.mutate(g.id)} loading={revoke.isPending && revoke.variables === g.id}>
                      {t("grants.revoke")}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
