import { Button, Group, Modal, PasswordInput, Select, Stack, Switch, Table, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconUserPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTranslation } from "react-i18next";

import { api, unwrap, type Schemas } from "../../api/client";
import { useMe } from "../../auth/useMe";
import { useFormat } from "../../i18n/format";
import { ErrorAlert, Loading } from "../common";

type Role = Schemas["Role"];
const ROLES: Role[] = ["admin", "operator", "viewer"];

function CreateUser({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { username: "", password: "", role: "operator" as Role },
    validate: {
      username: (v) => (/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/.test(v) ? null : t("users.usernameRule")),
      password: (v) => (v.length >= 8 ? null : t("users.passwordRule")),
    },
  });
  const create = useMutation({
    mutationFn: async (body: typeof form.values) => unwrap(await api.POST("/api/admin/users", { body })),
    onSuccess: (user) => {
      notifications.show({ color: "green", message: t("users.created", { name: user.username }) });
      void queryClient.invalidateQueries({ queryKey: ["admin", "users"] });
      onClose();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <form onSubmit={form.onSubmit((values) => create.mutate(values))}>
      <Stack>
        <TextInput label={t("users.username")} required data-autofocus {...form.getInputProps("username")} />
        <PasswordInput label={t("users.password")} required {...form.getInputProps("password")} />
        <Select label={t("users.role")} data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} allowDeselect={false} {...form.getInputProps("role")} />
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>{t("users.create")}</Button>
        </Group>
      </Stack>
    </form>
  );
}

function ResetPassword({ user, onClose }: { user: Schemas["UserPublic"]; onClose: () => void }) {
  const { t } = useTranslation();
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/admin/users/{user_id}/password", { params: { path: { user_id: user.id } }, body: { password } })),
    onSuccess: () => {
      notifications.show({ color: "green", message: t("users.passwordReset", { name: user.username }) });
      onClose();
    },
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });
  return (
    <form onSubmit={(e) => { e.preventDefault(); reset.mutate(); }}>
      <Stack>
        <PasswordInput label={t("users.newPassword")} value={password} onChange={(e) => setPassword(e.currentTarget.value)} required data-autofocus
          error={password && password.length < 8 ? t("users.passwordRule") : null} />
        <Group justify="flex-end">
          <Button type="submit" disabled={password.length < 8} loading={reset.isPending}>{t("users.reset")}</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The org's users: create, change role, disable, reset a password. */
export function UsersPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const me = useMe();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<Schemas["UserPublic"] | null>(null);
  const users = useQuery({ queryKey: ["admin", "users"], queryFn: async () => unwrap(await api.GET("/api/admin/users")) });
  const update = useMutation({
    mutationFn: async ({ id, body }: { id: string; body: Schemas["UserUpdate"] }) =>
      unwrap(await api.PATCH("/api/admin/users/{user_id}", { params: { path: { user_id: id } }, body })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["admin", "users"] }),
    onError: (error) => notifications.show({ color: "red", message: error.message }),
  });

  return (
    <Stack>
      <Group justify="flex-end">
        <Button leftSection={<IconUserPlus size={16} />} onClick={() => setCreating(true)}>{t("users.create")}</Button>
      </Group>
      {users.isPending && <Loading />}
      {users.error && <ErrorAlert error={users.error} />}
      {users.data && (
        <Table.ScrollContainer minWidth={700}>
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("users.username")}</Table.Th>
                <Table.Th>{t("users.role")}</Table.Th>
                <Table.Th>{t("users.enabled")}</Table.Th>
                <Table.Th>{t("users.created_at")}</Table.Th>
                <Table.Th>{t("shared.actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((user) => {
                const self = user.id === me.data?.user_id;
                return (
                  <Table.Tr key={user.id}>
                    <Table.Td>
                      <Text fw={500}>{user.username}</Text>
                      {self && <Text size="xs" c="dimmed">{t("users.you")}</Text>}
                    </Table.Td>
                    <Table.Td>
                      <Select aria-label={t("users.roleOf", { name: user.username })} size="xs" w={140} value={user.role} disabled={self}
                        data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} allowDeselect={false}
                        onChange={(role) => role && update.mutate({ id: user.id, body: { role: role as Role } })} />
                    </Table.Td>
                    <Table.Td>
                      <Switch aria-label={t("users.enabledOf", { name: user.username })} checked={!user.disabled} disabled={self}
                        onChange={(e) => update.mutate({ id: user.id, body: { disabled: !e.currentTarget.checked } })} />
                    </Table.Td>
                    <Table.Td>{format.dateTime(user.created_at)}</Table.Td>
                    <Table.Td>
                      <Button size="xs" variant="light" onClick={() => setResetting(user)}>{t("users.reset")}</Button>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Modal opened={creating} onClose={() => setCreating(false)} title={t("users.create")}>
        <CreateUser onClose={() => setCreating(false)} />
      </Modal>
      <Modal opened={resetting !== null} onClose={() => setResetting(null)} title={t("users.resetTitle", { name: resetting?.username })}>
        {resetting && <ResetPassword user={resetting} onClose={() => setResetting(null)} />}
      </Modal>
    </Stack>
  );
}
