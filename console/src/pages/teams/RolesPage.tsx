import { Badge, Button, Group, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap } from "../../api/client";
import { ErrorAlert, Loading } from "../common";
import "../locales";

const words = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter(Boolean);

/** Roles a team member can hold: instructions, tool rules that narrow the agent's, and the
 * capabilities dispatch matches on. A role held by members cannot be deleted. */
export function RolesPage() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [instructions, setInstructions] = useState("");
  const [blocked, setBlocked] = useState("");
  const [capabilities, setCapabilities] = useState("");
  const roles = useQuery({ queryKey: ["roles"], queryFn: async () => unwrap(await api.GET("/api/roles")) });
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ["roles"] });
  const failed = (error: Error) => notifications.show({ color: "red", message: error.message });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/roles", {
          body: {
            name,
            description: "",
            instructions,
            tool_rules: { block: words(blocked) },
            capabilities: words(capabilities),
          },
        }),
      ),
    onSuccess: () => {
      setName("");
      setInstructions("");
      setBlocked("");
      setCapabilities("");
      refresh();
    },
    onError: failed,
  });
  const remove = useMutation({
    mutationFn: async (roleId: string) =>
      unwrap(await api.DELETE("/api/roles/{role_id}", { params: { path: { role_id: roleId } } })),
    onSuccess: refresh,
    onError: failed,
  });

  return (
    <Stack>
      <Title order={2}>{t("roles.title")}</Title>
      <Group align="flex-end" grow>
        <TextInput label={t("roles.name")} value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <TextInput
          label={t("roles.capabilities")}
          value={capabilities}
          onChange={(e) => setCapabilities(e.currentTarget.value)}
        />
        <TextInput label={t("roles.blocked")} value={blocked} onChange={(e) => setBlocked(e.currentTarget.value)} />
      </Group>
      <Textarea
        label={t("roles.instructions")}
        value={instructions}
        onChange={(e) => setInstructions(e.currentTarget.value)}
        autosize
      />
      <Group>
        <Button onClick={() => create.mutate()} disabled={!name.trim()} loading={create.isPending}>
          {t("roles.create")}
        </Button>
      </Group>
      {roles.isPending && <Loading />}
      {roles.error && <ErrorAlert error={roles.error} />}
      {roles.data?.length === 0 && <Text c="dimmed">{t("roles.none")}</Text>}
      {roles.data && roles.data.length > 0 && (
        <Table striped>
          <Table.Tbody>
            {roles.data.map((role) => (
              <Table.Tr key={role.id} data-testid="role">
                <Table.Td fw={500}>{role.name}</Table.Td>
                <Table.Td>
                  <Text size="sm" lineClamp={2}>
                    {role.instructions}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4}>
                    {role.capabilities.map((capability) => (
                      <Badge key={capability} variant="outline" size="sm">
                        {capability}
                      </Badge>
                    ))}
                    {(role.tool_rules.block ?? []).map((tool) => (
                      <Badge key={tool} color="red" variant="light" size="sm">
                        {t("roles.blocks", { tool })}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate(role.id)}>
                    {t("shared.delete")}
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
