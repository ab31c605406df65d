import { Badge, Button, Checkbox, Group, Select, Stack, Table } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";

/** The team's members with their roles; admins add, remove and choose the lead. */
export function TeamMembers({ team, admin }: { team: Schemas["GroupDetail"]; admin: boolean }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const path = { group_id: team.id };
  const [agent, setAgent] = useState<string | null>(null);
  const [role, setRole] = useState<string | null>(null);
  const [lead, setLead] = useState(false);
  const agents = useQuery({
    queryKey: ["agents"],
    queryFn: async () => unwrap(await api.GET("/api/agents")),
    enabled: admin,
  });
  const roles = useQuery({
    queryKey: ["roles"],
    queryFn: async () => unwrap(await api.GET("/api/roles")),
    enabled: admin,
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["groups", team.id] });
  const failed = (error: Error) => notifications.show({ color: "red", message: error.message });
  const add = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/groups/{group_id}/members", {
          params: { path },
          body: { agent_id: agent ?? "", role, is_lead: lead },
        }),
      ),
    onSuccess: () => {
      setAgent(null);
      setLead(false);
      refresh();
    },
    onError: failed,
  });
  const makeLead = useMutation({
    mutationFn: async (memberId: string) =>
      unwrap(
        await api.PUT("/api/groups/{group_id}/members/{member_id}", {
          params: { path: { ...path, member_id: memberId } },
          body: { is_lead: true },
        }),
      ),
    onSuccess: refresh,
    onError: failed,
  });
  const changeRole = useMutation({
    mutationFn: async ({ memberId, roleId }: { memberId: string; roleId: string | null }) =>
      unwrap(
        await api.PUT("/api/groups/{group_id}/members/{member_id}", {
          params: { path: { ...path, member_id: memberId } },
          body: { role: roleId ?? "" },
        }),
      ),
    onSuccess: refresh,
    onError: failed,
  });
  const remove = useMutation({
    mutationFn: async (memberId: string) =>
      unwrap(
        await api.DELETE("/api/groups/{group_id}/members/{member_id}", {
          params: { path: { ...path, member_id: memberId } },
        }),
      ),
    onSuccess: refresh,
    onError: failed,
  });

  return (
    <Stack>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t("teams.agent")}</Table.Th>
            <Table.Th>{t("teams.role")}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {team.members.map((member) => (
            <Table.Tr key={member.id} data-testid="team-member">
              <Table.Td>
                {member.agent} {member.is_lead && <Badge ml="xs">{t("teams.lead")}</Badge>}
              </Table.Td>
              <Table.Td>
                {admin ? (
                  <Select
                    aria-label={t("teams.roleOf", { name: member.agent })}
                    data={(roles.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
                    value={member.role_id}
                    onChange={(roleId) => changeRole.mutate({ memberId: member.id, roleId })}
                    clearable
                    size="xs"
                  />
                ) : (
                  (member.role ?? "—")
                )}
              </Table.Td>
              <Table.Td>
                {admin && (
                  <Group gap="xs" justify="flex-end">
                    {!member.is_lead && (
                      <Button size="xs" variant="subtle" onClick={() => makeLead.mutate(member.id)}>
                        {t("teams.makeLead")}
                      </Button>
                    )}
                    <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(member.id)}>
                      {t("teams.remove")}
                    </Button>
                  </Group>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {admin && (
        <Group align="flex-end">
          <Select
            label={t("teams.agent")}
            data={(agents.data ?? []).map((a) => ({ value: a.id, label: a.name }))}
            value={agent}
            onChange={setAgent}
            searchable
          />
          <Select
            label={t("teams.role")}
            data={(roles.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
            value={role}
            onChange={setRole}
            clearable
          />
          <Checkbox label={t("teams.lead")} checked={lead} onChange={(e) => setLead(e.currentTarget.checked)} />
          <Button onClick={() => add.mutate()} disabled={!agent} loading={add.isPending}>
            {t("teams.addMember")}
          </Button>
        </Group>
      )}
    </Stack>
  );
}
