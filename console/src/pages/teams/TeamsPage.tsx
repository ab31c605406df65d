import { Anchor, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import { isAdmin, useMe } from "../../auth/useMe";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";
import "../locales";
import { ConfirmButton } from "../ConfirmButton";

/** The teams the user may use; admins create and delete them here. */
export function TeamsPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const admin = isAdmin(useMe().data);
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [mode, setMode] = useState<"serial" | "parallel">("serial");
  const teams = useQuery({
    queryKey: ["groups"],
    queryFn: async () => unwrap(await api.GET("/api/groups", { params: { query: { limit: 200 } } })),
  });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["groups"] });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/groups", { body: { name, description: "", default_mode: mode, members: [] } })),
    onSuccess: () => {
      setName("");
      refresh();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  const remove = useMutation({
    mutationFn: async (groupId: string) =>
      unwrap(await api.DELETE("/api/groups/{group_id}", { params: { path: { group_id: groupId } } })),
    onSuccess: refresh,
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>{t("teams.title")}</Title>
        <Group gap="xs">
          <Button component={Link} to="/playbooks" variant="light">
            {t("playbooks.title")}
          </Button>
          {admin && (
            <Button component={Link} to="/teams/roles" variant="light">
              {t("roles.title")}
            </Button>
          )}
        </Group>
      </Group>
      {admin && (
        <Group align="flex-end">
          <TextInput label={t("teams.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <Select
            label={t("teams.mode")}
            data={[
              { value: "serial", label: t("teams.serial") },
              { value: "parallel", label: t("teams.parallel") },
            ]}
            value={mode}
            onChange={(value) => setMode(value === "parallel" ? "parallel" : "serial")}
            allowDeselect={false}
          />
          <Button onClick={() => create.mutate()} disabled={!name.trim()} loading={create.isPending}>
            {t("teams.create")}
          </Button>
        </Group>
      )}
      {teams.isPending && <Loading />}
      {teams.error && <ErrorAlert error={teams.error} />}
      {teams.data?.total === 0 && <Text c="dimmed">{t("teams.none")}</Text>}
      {teams.data && teams.data.total > 0 && (
        <Table striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("teams.name")}</Table.Th>
              <Table.Th>{t("teams.mode")}</Table.Th>
              <Table.Th>{t("teams.updated")}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {teams.data.items.map((team) => (
              <Table.Tr key={team.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/teams/${team.id}`} fw={500}>
                    {team.name}
                  </Anchor>
                  {team.description && (
                    <Text size="sm" c="dimmed">
                      {team.description}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>{t(`teams.${team.default_mode}`)}</Table.Td>
                <Table.Td>{format.dateTime(team.updated_at)}</Table.Td>
                <Table.Td>
                  {admin && (
                    <ConfirmButton
                      label={t("shared.delete")}
                      title={t("teams.deleteTitle")}
                      message={t("teams.deleteConfirm", { name: team.name })}
                      loading={remove.isPending && remove.variables === team.id}
                      onConfirm={() => remove.mutate(team.id)}
                    >
                      {t("shared.delete")}
                    </ConfirmButton>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
