import { Button, Group, Select, Stack, Table, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { useFormat } from "../../i18n/format";

/** Admins let users use the team without a grant on each of its agents. */
export function TeamGrants({ groupId }: { groupId: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const queryClient = useQueryClient();
  const [user, setUser] = useState<string | null>(null);
  const path = { group_id: groupId };
  const grants = useQuery({
    queryKey: ["groups", groupId, "grants"],
    queryFn: async () => unwrap(await api.GET("/api/groups/{group_id}/grants", { params: { path } })),
  });
  const users = useQuery({ queryKey: ["users"], queryFn: async () => unwrap(await api.GET("/api/admin/users")) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["groups", groupId, "grants"] });
  const failed = (error: Error) => notifications.show({ color: "red", message: error.message });
  const grant = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/groups/{group_id}/grants", { params: { path }, body: { user_id: user ?? "" } })),
    onSuccess: () => {
      setUser(null);
      refresh();
    },
    onError: failed,
  });
  const revoke = useMutation({
    mutationFn: async (grantId: string) =>
      unwrap(
        await api.DELETE("/api/groups/{group_id}/grants/{grant_id}", {
          params: { path: { ...path, grant_id: grantId } },
        }),
      ),
    onSuccess: refresh,
    onError: failed,
  });
  const names = new Map((users.data ?? []).map((u) => [u.id, u.username]));
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        {t("teams.grantsHint")}
      </Text>
      <Group align="flex-end">
        <Select
          label={t("teams.user")}
          data={(users.data ?? []).map((u) => ({ value: u.id, label: u.username }))}
          value={user}
          onChange={setUser}
          searchable
        />
        <Button onClick={() => grant.mutate()} disabled={!user} loading={grant.isPending}>
          {t("teams.grant")}
        </Button>
      </Group>
      {grants.data?.length === 0 && <Text c="dimmed">{t("teams.noGrants")}</Text>}
      {grants.data && grants.data.length > 0 && (
        <Table striped>
          <Table.Tbody>
            {grants.data.map((g) => (
              <Table.Tr key={g.id} data-testid="team-grant">
                <Table.Td>{names.get(g.user_id) ?? g.user_id}</Table.Td>
                <Table.Td>{format.dateTime(g.created_at)}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="subtle" color="red" onClick={() => revoke.mutate(g.id)}>
                    {t("teams.revoke")}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
